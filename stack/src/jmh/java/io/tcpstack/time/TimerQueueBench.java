package io.tcpstack.time;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The stack's timers with {@code timers} armed: re-arming one later (the retransmission timer
 * every ACK restarts), and inserting a batch that then expires (per timer).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimerQueueBench {
    private static final int BATCH = 1000;

    @Param({"100", "100000"})
    int timers;

    static final class Counting extends Timeout {
        int fired;

        @Override
        protected void expire(long nowNanos) {
            fired++;
        }
    }

    final TimerQueue queue = new TimerQueue();
    final Counting rto = new Counting();
    final Counting[] batch = new Counting[BATCH];
    long now = 1_000_000_000L;

    @Setup
    public void setup() {
        for (int i = 0; i < timers; i++) {
            queue.schedule(new Counting(), Long.MAX_VALUE / 2 + i); // far away: the connections' other timers
        }
        for (int i = 0; i < BATCH; i++) {
            batch[i] = new Counting();
        }
    }

    @Benchmark
    public void rearm() {
        now += 1000;
        queue.schedule(rto, now + 200_000_000L);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int insertAndExpire() {
        now += 1_000_000;
        for (int i = 0; i < BATCH; i++) {
            queue.schedule(batch[i], now + i);
        }
        return queue.advance(now + BATCH);
    }
}
