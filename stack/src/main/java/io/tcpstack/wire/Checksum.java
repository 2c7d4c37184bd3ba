package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

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
        if (length >= FAST_MIN && buf.hasMemoryAddress() && !PlatformDependent.BIG_ENDIAN_NATIVE_ORDER) {
            if (offset < 0 || end > buf.capacity()) {
                throw new IndexOutOfBoundsException("checksum of " + offset + "+" + length + " in " + buf.capacity());
            }
            int blocks = length & ~15;
            sum += nativeSum(buf.memoryAddress() + offset, blocks);
            i += blocks;
        }
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

    /** Below this length the plain loop is as fast. */
    private static final int FAST_MIN = 64;
    private static final long LOW32 = 0xffffffffL;

    /**
     * The sum of {@code length} bytes (a multiple of 16) at a native little-endian address, as
     * big-endian 16-bit words: 32-bit words are summed in two independent accumulators (two adds
     * per 8 bytes, no byte swaps, no bounds checks) and the byte order is fixed once at the end,
     * since a one's-complement sum of byte-swapped words is the byte-swapped sum (RFC 1071 2(B)).
     * Each accumulator grows by less than 2^33 per step: no overflow below 2^30 steps.
     */
    private static long nativeSum(long address, int length) {
        long a = 0;
        long b = 0;
        for (long p = address, end = address + length; p < end; p += 16) {
            long w1 = PlatformDependent.getLong(p);
            long w2 = PlatformDependent.getLong(p + 8);
            a += (w1 & LOW32) + (w1 >>> 32);
            b += (w2 & LOW32) + (w2 >>> 32);
        }
        long x = a + b;
        x = (x & LOW32) + (x >>> 32);
        x = (x & LOW32) + (x >>> 32);
        x = (x & 0xffff) + (x >>> 16);
        x = (x & 0xffff) + (x >>> 16);
        x = (x & 0xffff) + (x >>> 16);
        return ((x & 0xff) << 8) | (x >>> 8);
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
     * The IPv6 upper-layer pseudo-header sum (RFC 8200 8.1): source and destination addresses,
     * the 32-bit upper-layer packet length and the next header value.
     */
    public static long pseudoHeader6(long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int length) {
        return words(srcHi) + words(srcLo) + words(dstHi) + words(dstLo) + (length >>> 16) + (length & 0xffff)
                + protocol;
    }

    /** The pseudo-header sum of either family (an IPv4-mapped pair is an IPv4 packet). */
    public static long pseudoHeader(IpAddress src, IpAddress dst, int protocol, int length) {
        if (src.isV4()) {
            return pseudoHeader(src.v4(), dst.v4(), protocol, length);
        }
        return pseudoHeader6(src.hi(), src.lo(), dst.hi(), dst.lo(), protocol, length);
    }

    /** The sum of the four 16-bit words of {@code x}. */
    private static long words(long x) {
        return (x >>> 48) + ((x >>> 32) & 0xffff) + ((x >>> 16) & 0xffff) + (x & 0xffff);
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
