package io.tcpstack.cli;

import io.tcpstack.tun.LibC;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a clean stop, and (for the daemon) SIGHUP as a reload request:
 * replacing the JVM's handlers lets the command close what it opened and exit with status 0
 * (the JVM's own handling exits with 143, 130 or 129).
 */
final class StopSignal {
    private volatile boolean stop;
    private volatile boolean reload;
    /** Released once per signal, so a waiting thread wakes for each. */
    private final Semaphore signals = new Semaphore(0);

    private StopSignal() {
    }

    /** Handles SIGTERM and SIGINT. */
    static StopSignal install() {
        StopSignal s = new StopSignal();
        Signal.handle(new Signal("TERM"), sig -> s.requestStop());
        Signal.handle(new Signal("INT"), sig -> s.requestStop());
        return s;
    }

    /**
     * Handles SIGHUP too (as a reload request) instead of letting it end the process. A parent
     * may have left SIGHUP ignored (nohup, a CI runner), and HotSpot then keeps it ignored and
     * drops the handler without a word (JVM_RegisterSignal); SIGHUP is the daemon's reload
     * interface, as it is nginx's, so the disposition goes back to SIG_DFL first.
     */
    static StopSignal installWithReload() {
        StopSignal s = install();
        LibC.INSTANCE.signal(LibC.SIGHUP, LibC.SIG_DFL);
        Signal.handle(new Signal("HUP"), sig -> {
            s.reload = true;
            s.signals.release();
        });
        return s;
    }

    private void requestStop() {
        stop = true;
        signals.release();
    }

    /** Waits for a stop; returns true for a stop, false for a reload request (which it consumes). */
    boolean awaitStopOrReload() throws InterruptedException {
        while (true) {
            signals.acquire();
            if (stop) {
                return true;
            }
            if (reload) {
                reload = false;
                return false;
            }
        }
    }

    /** Waits at most {@code millis} for a stop; true if one came. */
    boolean await(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!stop) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !signals.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                return stop;
            }
        }
        return true;
    }
}
