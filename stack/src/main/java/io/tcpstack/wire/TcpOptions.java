package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;

/**
 * TCP options (RFC 9293 3.2, RFC 7323, RFC 2018): a mutable holder filled by {@link #parse} (one
 * instance reused per thread, no allocation) and the writer for our own option layouts, which
 * follow Linux's tcp_options_write byte for byte.
 */
public final class TcpOptions {
    public static final int KIND_EOL = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WSCALE = 3;
    public static final int KIND_SACK_PERM = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMP = 8;
    /** RFC 7323 2.3: shifts above 14 are treated as 14 (Linux logs and clamps). */
    public static final int MAX_WSCALE = 14;
    public static final int MAX_SACK_BLOCKS = 4;
    /** NOP NOP TS: the 12 bytes on every segment once timestamps are on. */
    public static final int TIMESTAMP_LENGTH_ALIGNED = 12;

    /** MSS option value, or -1. */
    public int mss;
    /** Window scale shift (clamped to 14), or -1. */
    public int wscale;
    public boolean sackPermitted;
    public boolean hasTimestamp;
    public int tsVal;
    public int tsEcr;
    public int sackBlockCount;
    /** SACK blocks as (left, right) pairs. */
    public final int[] sackBlocks = new int[2 * MAX_SACK_BLOCKS];

    public void clear() {
        mss = -1;
        wscale = -1;
        sackPermitted = false;
        hasTimestamp = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlockCount = 0;
    }

    /**
     * Parses the option list like Linux tcp_parse_options: a malformed option (length 0 or 1, or
     * overrunning the header) ends parsing and keeps what was read so far; the segment itself is
     * still processed. MSS, window scale and SACK-permitted count only on a SYN.
     */
    public TcpOptions parse(ByteBuf buf, int offset, int length, boolean syn) {
        clear();
        int i = offset;
        int end = offset + length;
        while (i < end) {
            int kind = buf.getUnsignedByte(i);
            if (kind == KIND_EOL) {
                return this;
            }
            if (kind == KIND_NOP) {
                i++;
                continue;
            }
            if (end - i < 2) {
                return this;
            }
            int size = buf.getUnsignedByte(i + 1);
            if (size < 2 || size > end - i) {
                return this; // "silly options" / partial option: stop here (Linux)
            }
            read(buf, i, kind, size, syn);
            i += size;
        }
        return this;
    }

    private void read(ByteBuf buf, int i, int kind, int size, boolean syn) {
        switch (kind) {
            case KIND_MSS -> {
                if (size == 4 && syn) {
                    mss = buf.getUnsignedShort(i + 2);
                }
            }
            case KIND_WSCALE -> {
                if (size == 3 && syn) {
                    wscale = Math.min(buf.getUnsignedByte(i + 2), MAX_WSCALE);
                }
            }
            case KIND_SACK_PERM -> {
                if (size == 2 && syn) {
                    sackPermitted = true;
                }
            }
            case KIND_TIMESTAMP -> {
                if (size == 10) {
                    hasTimestamp = true;
                    tsVal = buf.getInt(i + 2);
                    tsEcr = buf.getInt(i + 6);
                }
            }
            case KIND_SACK -> {
                if (size >= 10 && (size - 2) % 8 == 0 && !syn) {
                    int blocks = Math.min((size - 2) / 8, MAX_SACK_BLOCKS);
                    for (int b = 0; b < blocks; b++) {
                        sackBlocks[2 * b] = buf.getInt(i + 2 + 8 * b);
                        sackBlocks[2 * b + 1] = buf.getInt(i + 6 + 8 * b);
                    }
                    sackBlockCount = blocks;
                }
            }
            default -> {
                // unknown options are skipped (RFC 9293 3.2: MUST ignore unknown options)
            }
        }
    }

    /** Bytes {@link #writeSyn} writes for the given choices. */
    public static int synLength(boolean mss, boolean sackPerm, boolean timestamps, boolean wscale) {
        int length = mss ? 4 : 0;
        if (timestamps) {
            length += TIMESTAMP_LENGTH_ALIGNED;
        } else if (sackPerm) {
            length += 4;
        }
        return length + (wscale ? 4 : 0);
    }

    /**
     * Writes SYN / SYN-ACK options in Linux's order and layout: MSS, then SACK_PERM + TS (or NOP
     * NOP TS, or NOP NOP SACK_PERM), then NOP WS. {@code mss} < 0 omits the MSS (the stack always
     * sends one; a scripted peer may not), {@code wscale} < 0 omits window scale; {@link
     * #synLength} says how long that is.
     */
    public static int writeSyn(ByteBuf buf, int offset, int mss, boolean sackPerm, boolean timestamps,
            int tsVal, int tsEcr, int wscale) {
        int i = offset;
        if (mss >= 0) {
            buf.setInt(i, (KIND_MSS << 24) | (4 << 16) | mss);
            i += 4;
        }
        if (timestamps) {
            int head = sackPerm ? (KIND_SACK_PERM << 8) | 2 : (KIND_NOP << 8) | KIND_NOP;
            buf.setInt(i, (head << 16) | (KIND_TIMESTAMP << 8) | 10);
            buf.setInt(i + 4, tsVal);
            buf.setInt(i + 8, tsEcr);
            i += 12;
        } else if (sackPerm) {
            buf.setInt(i, (KIND_NOP << 24) | (KIND_NOP << 16) | (KIND_SACK_PERM << 8) | 2);
            i += 4;
        }
        if (wscale >= 0) {
            buf.setInt(i, (KIND_NOP << 24) | (KIND_WSCALE << 16) | (3 << 8) | wscale);
            i += 4;
        }
        return i - offset;
    }

    /** NOP NOP TS val ecr (12 bytes), Linux's layout on every non-SYN segment. */
    public static int writeTimestamp(ByteBuf buf, int offset, int tsVal, int tsEcr) {
        buf.setInt(offset, (KIND_NOP << 24) | (KIND_NOP << 16) | (KIND_TIMESTAMP << 8) | 10);
        buf.setInt(offset + 4, tsVal);
        buf.setInt(offset + 8, tsEcr);
        return TIMESTAMP_LENGTH_ALIGNED;
    }

    /** NOP NOP SACK with {@code count} blocks from {@code blocks} (left, right pairs). */
    public static int writeSack(ByteBuf buf, int offset, int[] blocks, int count) {
        buf.setInt(offset, (KIND_NOP << 24) | (KIND_NOP << 16) | (KIND_SACK << 8) | (2 + 8 * count));
        for (int b = 0; b < count; b++) {
            buf.setInt(offset + 4 + 8 * b, blocks[2 * b]);
            buf.setInt(offset + 8 + 8 * b, blocks[2 * b + 1]);
        }
        return 4 + 8 * count;
    }
}
