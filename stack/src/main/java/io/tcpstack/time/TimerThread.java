package io.tcpstack.time;

import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a {@link TimerQueue} from a real {@link Clock}: parks until the next deadline (at most
 * {@link #MAX_PARK_NANOS}), and is woken early when a sooner timer is scheduled.
 */
public final class TimerThread implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TimerThread.class);
    private static final long MAX_PARK_NANOS = 10_000_000L;

    private final TimerQueue timers;
    private final Clock clock;
    private final Thread thread;
    private volatile boolean running = true;

    public TimerThread(TimerQueue timers, Clock clock) {
        this.timers = timers;
        this.clock = clock;
        this.thread = new Thread(this::run, "tcpstack-timers");
        thread.setDaemon(true);
        timers.setOnEarlierDeadline(() -> LockSupport.unpark(thread));
    }

    public void start() {
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                timers.advance(clock.nanos());
            } catch (RuntimeException e) {
                log.error("timer callback failed", e);
            }
            long wait = timers.nextDeadlineNanos() - clock.nanos();
            if (wait > 0) {
                LockSupport.parkNanos(Math.min(wait, MAX_PARK_NANOS));
            }
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
