package io.tcpstack.trace;

/**
 * One thing that happened in the stack, for traces and ladder diagrams: a segment in (with its
 * verdict) or out, a drop with its reason, a state change, a timer, a note, a fault a rule injected.
 *
 * @param nanos the stack clock when it happened
 * @param connection "local:port remote:port", or "-" for stack-wide events
 */
public record TraceEvent(long nanos, Kind kind, String connection, String text) {
    public enum Kind {
        SEGMENT_IN,
        SEGMENT_OUT,
        DROP,
        STATE,
        TIMER,
        NOTE,
        /** A fault rule dropped, delayed, duplicated, reordered or corrupted a segment. */
        FAULT
    }

    @Override
    public String toString() {
        return String.format("%d.%06d %-11s %s %s", nanos / 1_000_000_000L, (nanos / 1000) % 1_000_000,
                kind, connection, text);
    }
}
