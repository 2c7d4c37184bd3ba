package io.tcpstack.time;

/** A clock that moves only when told to: deterministic protocol tests. */
public final class VirtualClock implements Clock {
    private volatile long nanos;

    public VirtualClock() {
        this(0);
    }

    public VirtualClock(long startNanos) {
        this.nanos = startNanos;
    }

    /** Virtual time does not pass by waiting: nothing to do. */
    @Override
    public void pause(long nanos) {
    }

    @Override
    public long nanos() {
        return nanos;
    }

    /** Moves time to {@code target} (never backwards). */
    public void setNanos(long target) {
        if (target < nanos) {
            throw new IllegalArgumentException("virtual time cannot go back: " + target + " < " + nanos);
        }
        nanos = target;
    }

    public void advanceNanos(long delta) {
        setNanos(nanos + delta);
    }
}
