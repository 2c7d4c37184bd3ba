package io.tcpstack.profile;

/**
 * A buffer's minimum, initial and maximum size in bytes, as Linux's tcp_rmem and tcp_wmem spell
 * them ("4096 131072 33554432"): a connection starts at the initial size and autotuning grows it
 * up to the maximum.
 */
public record BufferSizes(int min, int initial, int max) {
    public BufferSizes {
        if (min < 1 || min > initial || initial > max) {
            throw new IllegalArgumentException("buffer sizes must be MIN <= DEFAULT <= MAX, all >= 1, got "
                    + min + " " + initial + " " + max);
        }
    }

    /** As sysctl prints it: three numbers separated by spaces. */
    @Override
    public String toString() {
        return min + " " + initial + " " + max;
    }
}
