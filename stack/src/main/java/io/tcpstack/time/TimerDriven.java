package io.tcpstack.time;

/**
 * Something whose timers run only when its owner says so: a stack on a {@link VirtualClock}. A
 * virtual-time driver (a simulated network, a test harness) reads {@link #nextTimerNanos()} to
 * know how far it may jump, moves the clock, and calls {@link #runTimers()}.
 */
public interface TimerDriven {

    /** Runs the timers that are due at the clock's current time; returns how many fired. */
    int runTimers();

    /** Earliest pending timer deadline in clock nanos, or Long.MAX_VALUE. */
    long nextTimerNanos();
}
