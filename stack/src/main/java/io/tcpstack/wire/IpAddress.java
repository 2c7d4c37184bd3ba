package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;

/**
 * An IP address of either family as one 128-bit value: two longs, big-endian halves. An IPv4
 * address is held IPv4-mapped ({@code ::ffff:a.b.c.d}, RFC 4291 2.5.5.2), as a dual-stack socket
 * sees it, so one type keys connections of both families; {@link #isV4()} tells them apart and
 * {@link #v4()} gives the int that IPv4 code works with. Immutable; a connection allocates its
 * addresses once, and the per-packet paths work on the two longs ({@link #isV4(long, long)},
 * {@link #v4Lo(int)}) without making one.
 */
public final class IpAddress {
    /** The high 32 bits of the low half of an IPv4-mapped address. */
    private static final long V4_MAPPED = 0x0000_ffffL << 32;

    public static final IpAddress V6_UNSPECIFIED = new IpAddress(0, 0);

    private final long hi;
    private final long lo;

    private IpAddress(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
    }

    public static IpAddress of(long hi, long lo) {
        return new IpAddress(hi, lo);
    }

    /** The IPv4-mapped form of a big-endian IPv4 address. */
    public static IpAddress v4(int address) {
        return new IpAddress(0, v4Lo(address));
    }

    /** The low half of the IPv4-mapped form of {@code address} (its high half is 0). */
    public static long v4Lo(int address) {
        return V4_MAPPED | (address & 0xffffffffL);
    }

    /** Whether the 128 bits are an IPv4-mapped address. */
    public static boolean isV4(long hi, long lo) {
        return hi == 0 && (lo >>> 32) == 0xffff;
    }

    /** Reads the 16 bytes at {@code offset} (network order). */
    public static IpAddress read(ByteBuf buf, int offset) {
        return new IpAddress(buf.getLong(offset), buf.getLong(offset + 8));
    }

    public long hi() {
        return hi;
    }

    public long lo() {
        return lo;
    }

    public boolean isV4() {
        return isV4(hi, lo);
    }

    /** The IPv4 address as a big-endian int; only for {@link #isV4()} addresses. */
    public int v4() {
        if (!isV4()) {
            throw new IllegalStateException(this + " is not an IPv4 address");
        }
        return (int) lo;
    }

    /** Writes the 16 bytes at {@code offset} (network order). */
    public void write(ByteBuf buf, int offset) {
        buf.setLong(offset, hi);
        buf.setLong(offset + 8, lo);
    }

    /** ff00::/8 (RFC 4291 2.7). */
    public static boolean isMulticast(long hi) {
        return (hi >>> 56) == 0xff;
    }

    /** :: (RFC 4291 2.5.2). */
    public boolean isUnspecified() {
        return hi == 0 && lo == 0;
    }

    /** ::1, or 127.0.0.0/8 mapped. */
    public boolean isLoopback() {
        return (hi == 0 && lo == 1) || (isV4() && ((int) lo >>> 24) == 127);
    }

    /**
     * Parses an IPv4 dotted quad or an IPv6 address in the text forms of RFC 4291 2.2 ("::",
     * hexadecimal groups, a trailing dotted quad); throws IllegalArgumentException with the text.
     */
    public static IpAddress parse(String text) {
        String s = text.trim();
        if (s.indexOf(':') < 0) {
            return v4(Ipv4Address.parse(s));
        }
        long[] words = new long[8];
        String[] halves = s.split("::", -1);
        if (halves.length > 2) {
            throw notAnAddress(text);
        }
        int[] head = groups(halves[0], text);
        int[] tail = halves.length == 2 ? groups(halves[1], text) : new int[0];
        int total = head.length + tail.length;
        if (halves.length == 1 ? total != 8 : total > 7) {
            throw notAnAddress(text);
        }
        for (int i = 0; i < head.length; i++) {
            words[i] = head[i];
        }
        for (int i = 0; i < tail.length; i++) {
            words[8 - tail.length + i] = tail[i];
        }
        long hi = (words[0] << 48) | (words[1] << 32) | (words[2] << 16) | words[3];
        long lo = (words[4] << 48) | (words[5] << 32) | (words[6] << 16) | words[7];
        return new IpAddress(hi, lo);
    }

    /** The 16-bit groups of one side of "::"; a dotted quad at the end counts as two. */
    private static int[] groups(String part, String text) {
        if (part.isEmpty()) {
            return new int[0];
        }
        String[] fields = part.split(":", -1);
        boolean dotted = fields[fields.length - 1].indexOf('.') >= 0;
        int[] out = new int[fields.length + (dotted ? 1 : 0)];
        for (int i = 0; i < fields.length; i++) {
            String f = fields[i];
            if (dotted && i == fields.length - 1) {
                int v4;
                try {
                    v4 = Ipv4Address.parse(f);
                } catch (IllegalArgumentException e) {
                    throw notAnAddress(text);
                }
                out[i] = v4 >>> 16;
                out[i + 1] = v4 & 0xffff;
                break;
            }
            if (f.isEmpty() || f.length() > 4) {
                throw notAnAddress(text);
            }
            try {
                out[i] = Integer.parseInt(f, 16);
            } catch (NumberFormatException e) {
                throw notAnAddress(text);
            }
        }
        return out;
    }

    private static IllegalArgumentException notAnAddress(String text) {
        return new IllegalArgumentException("not an IP address: '" + text + "'");
    }

    /**
     * The text form: a dotted quad for IPv4, RFC 5952 for IPv6 (lower case, no leading zeros, the
     * longest run of two or more zero groups, the first of equal runs, as "::").
     */
    @Override
    public String toString() {
        if (isV4()) {
            return Ipv4Address.format((int) lo);
        }
        int[] w = new int[8];
        for (int i = 0; i < 4; i++) {
            w[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            w[4 + i] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(w[i]));
        }
        return sb.toString();
    }

    /** "198.18.0.2:80" or "[2001:2::2]:80", as ss writes an endpoint. */
    public String withPort(int port) {
        return (isV4() ? toString() : "[" + this + "]") + ":" + port;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IpAddress a && a.hi == hi && a.lo == lo;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi * 31 + lo);
    }
}
