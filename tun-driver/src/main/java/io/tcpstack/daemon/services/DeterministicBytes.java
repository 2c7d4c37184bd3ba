package io.tcpstack.daemon.services;

/**
 * The byte stream {@code GET /bytes/N} serves: byte i is {@code (i * 7 + (i >>> 8)) & 0xff}, so any
 * client can recompute it (and its SHA-256) without transferring a reference copy.
 */
public final class DeterministicBytes {
    private DeterministicBytes() {}

    public static byte at(long i) {
        return (byte) ((i * 7 + (i >>> 8)) & 0xff);
    }

    /** Fills {@code buf[0..length)} with the stream's bytes from position {@code start}. */
    public static void fill(long start, byte[] buf, int length) {
        fill(start, buf, 0, length);
    }

    /** Fills {@code buf[offset..offset+length)} with the stream's bytes from position {@code start}. */
    public static void fill(long start, byte[] buf, int offset, int length) {
        for (int k = 0; k < length; k++) {
            buf[offset + k] = at(start + k);
        }
    }
}
