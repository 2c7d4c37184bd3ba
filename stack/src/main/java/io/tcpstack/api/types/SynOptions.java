package io.tcpstack.api.types;

/**
 * What one connection's SYN (or SYN-ACK) offers where it departs from the stack's knobs, as
 * setsockopt would make it: timestamps, SACK and window scaling on or off, and an MSS below the
 * link's (Linux TCP_MAXSEG, which also caps what the connection sends). Null, or an MSS of 0,
 * leaves the knob's choice.
 */
public record SynOptions(Boolean timestamps, Boolean sack, Boolean windowScaling, int mss) {
    /** The stack's knobs, unchanged. */
    public static final SynOptions DEFAULT = new SynOptions(null, null, null, 0);

    public SynOptions {
        if (mss < 0 || mss > 65535 || (mss > 0 && mss < 88)) {
            throw new IllegalArgumentException("mss must be 88..65535 (Linux TCP_MIN_MSS is 88), got " + mss);
        }
    }

    public static boolean or(Boolean choice, boolean knob) {
        return choice != null ? choice : knob;
    }
}
