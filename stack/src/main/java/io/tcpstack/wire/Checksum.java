package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;

/** The Internet checksum (RFC 1071) and its incremental update (RFC 1624). */
public final class Checksum {
    private Checksum() {}

    /**
     * One's-complement sum of {@code length} bytes at {@code offset}, added to {@code initial},
     * not folded and not complemented. Reads absolute indexes; does not move the reader index.
     */
    public static long sum(ByteBuf buf, int offset, int length, long initial) {
        long sum = initial;
        int i = offset;
        int end = offset + length;
        while (end - i >= 8) {
            long word = buf.getLong(i);
            sum += (word >>> 48) + ((word >>> 32) & 0xffff) + ((word >>> 16) & 0xffff) + (word & 0xffff);
            i += 8;
        }
        while (end - i >= 2) {
            sum += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            sum += (buf.getUnsignedByte(i) << 8);
        }
        return sum;
    }

    /** Folds a 64-bit one's-complement sum to 16 bits and complements it: the checksum field value. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** Checksum of a byte range (RFC 1071). Verifies to 0 when the range includes a correct checksum field. */
    public static int compute(ByteBuf buf, int offset, int length) {
        return fold(sum(buf, offset, length, 0));
    }

    /** The TCP/UDP pseudo-header sum (RFC 9293 3.1): source, destination, protocol, length. */
    public static long pseudoHeader(int src, int dst, int protocol, int length) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
    }

    /**
     * RFC 1624 eqn. 3: the new checksum when a 16-bit field changes from {@code oldValue} to
     * {@code newValue}: HC' = ~(~HC + ~m + m').
     */
    public static int update(int checksum, int oldValue, int newValue) {
        long sum = (~checksum & 0xffff) + (~oldValue & 0xffff) + (newValue & 0xffff);
        return fold(sum);
    }
}
