package io.tcpstack.time;

/**
 * The stack's only source of time. Protocol code never reads the system clock; tests inject a
 * {@link VirtualClock} and run on virtual time.
 */
public interface Clock {

    /** Monotonic time in nanoseconds (arbitrary origin). */
    long nanos();

    /** Monotonic time in milliseconds. */
    default long millis() {
        return nanos() / 1_000_000L;
    }

    /** The system's monotonic clock ({@link System#nanoTime()}). */
    static Clock system() {
        return System::nanoTime;
    }
}
