package io.tcpstack.tcp;

/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4; Linux before()/after()): a is before b
 * when the signed 32-bit difference a - b is negative.
 */
public final class SeqNum {
    private SeqNum() {}

    /** a < b (Linux before). */
    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    /** a <= b. */
    public static boolean le(int a, int b) {
        return a - b <= 0;
    }

    /** a > b (Linux after). */
    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    /** a >= b. */
    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    /** low <= x <= high (Linux between()). */
    public static boolean between(int x, int low, int high) {
        return Integer.compareUnsigned(high - low, x - low) >= 0;
    }

    public static int max(int a, int b) {
        return gt(a, b) ? a : b;
    }

    public static int min(int a, int b) {
        return lt(a, b) ? a : b;
    }

    /** Unsigned 32-bit rendering for traces. */
    public static String toString(int seq) {
        return Integer.toUnsignedString(seq);
    }
}
