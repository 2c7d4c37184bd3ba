package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A flyweight view of an IPv4 header (RFC 791 3.1) over a ByteBuf: typed getters and setters at
 * absolute indexes, no copy, no allocation. One instance is reused per thread with {@link #wrap}.
 * Length checks are the caller's ({@link io.tcpstack.ip.Ipv4Input} validates before it reads).
 */
public final class Ipv4View {
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    private ByteBuf buf;
    private int offset;

    public Ipv4View wrap(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
        return this;
    }

    public ByteBuf buf() {
        return buf;
    }

    public int offset() {
        return offset;
    }

    public int version() {
        return buf.getUnsignedByte(offset) >>> 4;
    }

    /** Header length in bytes (IHL x 4). */
    public int headerLength() {
        return (buf.getUnsignedByte(offset) & 0x0f) * 4;
    }

    public int tos() {
        return buf.getUnsignedByte(offset + 1);
    }

    public int totalLength() {
        return buf.getUnsignedShort(offset + 2);
    }

    public int identification() {
        return buf.getUnsignedShort(offset + 4);
    }

    public int flagsAndFragmentOffset() {
        return buf.getUnsignedShort(offset + 6);
    }

    /** More fragments set, or a non-zero fragment offset. */
    public boolean isFragment() {
        return (flagsAndFragmentOffset() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl() {
        return buf.getUnsignedByte(offset + 8);
    }

    public int protocol() {
        return buf.getUnsignedByte(offset + 9);
    }

    public int source() {
        return buf.getInt(offset + 12);
    }

    public int destination() {
        return buf.getInt(offset + 16);
    }

    /** Offset of the payload in the buffer. */
    public int payloadOffset() {
        return offset + headerLength();
    }

    public int payloadLength() {
        return totalLength() - headerLength();
    }

    /** True when the header checksum verifies. */
    public boolean checksumValid() {
        return Checksum.compute(buf, offset, headerLength()) == 0;
    }

    /** Sets the TOS byte of a header written by {@link #writeHeader}, updating its checksum (RFC 1624). */
    public static void setTos(ByteBuf buf, int offset, int tos) {
        int old = buf.getUnsignedShort(offset);
        buf.setByte(offset + 1, tos);
        buf.setShort(offset + 10, Checksum.update(buf.getUnsignedShort(offset + 10), old, buf.getUnsignedShort(offset)));
    }

    /**
     * Writes a 20-byte header without options and its checksum. {@code totalLength} includes the
     * header.
     */
    public static void writeHeader(ByteBuf buf, int offset, int totalLength, int identification,
            boolean dontFragment, int ttl, int protocol, int source, int destination) {
        buf.setByte(offset, 0x45);
        buf.setByte(offset + 1, 0);
        buf.setShort(offset + 2, totalLength);
        buf.setShort(offset + 4, identification);
        buf.setShort(offset + 6, dontFragment ? FLAG_DF : 0);
        buf.setByte(offset + 8, ttl);
        buf.setByte(offset + 9, protocol);
        buf.setShort(offset + 10, 0);
        buf.setInt(offset + 12, source);
        buf.setInt(offset + 16, destination);
        buf.setShort(offset + 10, Checksum.compute(buf, offset, MIN_HEADER_LENGTH));
    }
}
