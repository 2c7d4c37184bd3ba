package io.tcpstack.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a clean stop: replacing the JVM's handlers lets the command close what
 * it opened and exit with status 0 (the JVM's own handling exits with 143 or 130).
 */
final class StopSignal {
    private final CountDownLatch stop = new CountDownLatch(1);

    private StopSignal() {
    }

    static StopSignal install() {
        StopSignal s = new StopSignal();
        Signal.handle(new Signal("TERM"), sig -> s.stop.countDown());
        Signal.handle(new Signal("INT"), sig -> s.stop.countDown());
        return s;
    }

    void await() throws InterruptedException {
        stop.await();
    }

    /** Waits at most {@code millis}; true if a stop signal came. */
    boolean await(long millis) throws InterruptedException {
        return stop.await(millis, TimeUnit.MILLISECONDS);
    }

    boolean requested() {
        return stop.getCount() == 0;
    }
}
