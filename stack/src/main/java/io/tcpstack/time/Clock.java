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

    /**
     * Holds the calling thread for {@code nanos} of this clock's time: a real pause on the
     * system clock; on a virtual clock nothing, since its time moves only when its owner moves it.
     */
    default void pause(long nanos) {
        java.util.concurrent.locks.LockSupport.parkNanos(nanos);
    }

    /** The system's monotonic clock ({@link System#nanoTime()}). */
    static Clock system() {
        return System::nanoTime;
    }
}
