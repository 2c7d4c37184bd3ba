package io.tcpstack.tcp;

/** SipHash-2-4 (Aumasson and Bernstein): the keyed hash Linux uses for ISNs, ports and TS offsets. */
final class SipHash {
    private final long k0;
    private final long k1;

    SipHash(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /** Hashes two 64-bit words (16 bytes, little-endian words as in the reference). */
    long hash(long m0, long m1) {
        return hash(new long[] {m0, m1});
    }

    /** Hashes {@code words.length} 64-bit words (8 bytes each, no tail bytes). */
    long hash(long... words) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        long[] s = {v0, v1, v2, v3};
        for (long m : words) {
            compress(s, m);
        }
        compress(s, (long) (8 * words.length) << 56); // final block: the length, no tail bytes
        s[2] ^= 0xff;
        for (int i = 0; i < 4; i++) {
            round(s);
        }
        return s[0] ^ s[1] ^ s[2] ^ s[3];
    }

    private static void compress(long[] s, long m) {
        s[3] ^= m;
        round(s);
        round(s);
        s[0] ^= m;
    }

    private static void round(long[] s) {
        s[0] += s[1];
        s[1] = Long.rotateLeft(s[1], 13);
        s[1] ^= s[0];
        s[0] = Long.rotateLeft(s[0], 32);
        s[2] += s[3];
        s[3] = Long.rotateLeft(s[3], 16);
        s[3] ^= s[2];
        s[0] += s[3];
        s[3] = Long.rotateLeft(s[3], 21);
        s[3] ^= s[0];
        s[2] += s[1];
        s[1] = Long.rotateLeft(s[1], 17);
        s[1] ^= s[2];
        s[2] = Long.rotateLeft(s[2], 32);
    }
}
