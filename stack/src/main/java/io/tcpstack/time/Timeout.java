package io.tcpstack.time;

/**
 * A reusable, intrusive timer entry of a {@link TimerQueue}: an owner (a Tcb, a TIME_WAIT record)
 * keeps its Timeout objects for life, so scheduling allocates nothing.
 */
public abstract class Timeout {
    long deadlineNanos;
    /** Scheduling order, for deterministic ties. */
    long sequence;
    /** Position in the heap while armed, -1 otherwise. */
    int index = -1;

    /** Called by {@link TimerQueue#advance} outside the queue's lock, once per arming. */
    protected abstract void expire(long nowNanos);

    public final boolean isArmed() {
        return index >= 0;
    }

    public final long deadlineNanos() {
        return deadlineNanos;
    }
}
