package io.tcpstack.time;

import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a {@link TimerQueue} from a real {@link Clock}: parks until the next deadline (at most
 * {@link #MAX_PARK_NANOS}), and is woken early only when a timer is scheduled before the moment
 * it will wake anyway. Delayed-ACK and retransmission timers (40 ms, 200 ms and more) never need
 * that: re-armed on every segment, they used to cost a wake-up each (tens of thousands per second
 * in a bulk transfer).
 */
public final class TimerThread implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TimerThread.class);
    private static final long MAX_PARK_NANOS = 10_000_000L;

    private final TimerQueue timers;
    private final Clock clock;
    private final Thread thread;
    private volatile boolean running = true;
    /** When the thread will next look at the queue by itself (clock nanos). */
    private volatile long plannedWakeNanos = Long.MIN_VALUE;

    public TimerThread(TimerQueue timers, Clock clock) {
        this.timers = timers;
        this.clock = clock;
        // netty recycles the ByteBuf objects of the segments timers send only on a FastThreadLocalThread
        this.thread = new FastThreadLocalThread(this::run, "tcpstack-timers");
        thread.setDaemon(true);
        timers.setOnEarlierDeadline(deadline -> {
            if (deadline < plannedWakeNanos) {
                LockSupport.unpark(thread);
            }
        });
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
            // publish the longest sleep first, then look at the queue: a timer scheduled in
            // between sees a planned wake-up no earlier than the real one and unparks us
            long now = clock.nanos();
            plannedWakeNanos = now + MAX_PARK_NANOS;
            long wake = Math.min(timers.nextDeadlineNanos(), now + MAX_PARK_NANOS);
            plannedWakeNanos = wake;
            if (wake > now) {
                LockSupport.parkNanos(wake - now);
            }
            plannedWakeNanos = Long.MIN_VALUE;
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
