package io.tcpstack.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class TimerQueueTest {
    private final TimerQueue timers = new TimerQueue();
    private final List<String> fired = new ArrayList<>();

    private final class Named extends Timeout {
        final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        protected void expire(long nowNanos) {
            fired.add(name + "@" + nowNanos);
        }
    }

    @Test
    void fires_in_deadline_order_with_ties_in_scheduling_order() {
        Named a = new Named("a");
        Named b = new Named("b");
        Named c = new Named("c");
        timers.schedule(c, 30);
        timers.schedule(a, 10);
        timers.schedule(b, 10);
        assertThat(timers.nextDeadlineNanos()).isEqualTo(10);
        assertThat(timers.advance(9)).isZero();
        assertThat(timers.advance(30)).isEqualTo(3);
        assertThat(fired).containsExactly("a@30", "b@30", "c@30");
        assertThat(timers.size()).isZero();
        assertThat(timers.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void cancel_and_reschedule() {
        Named a = new Named("a");
        timers.schedule(a, 10);
        timers.cancel(a);
        assertThat(a.isArmed()).isFalse();
        timers.advance(100);
        assertThat(fired).isEmpty();
        timers.schedule(a, 200);
        timers.schedule(a, 150); // moves it
        assertThat(timers.size()).isEqualTo(1);
        timers.advance(160);
        assertThat(fired).containsExactly("a@160");
    }

    @Test
    void a_timeout_scheduled_from_expire_that_is_due_fires_in_the_same_advance() {
        Timeout second = new Named("second");
        Timeout first = new Timeout() {
            @Override
            protected void expire(long nowNanos) {
                fired.add("first");
                timers.schedule(second, nowNanos - 1);
            }
        };
        timers.schedule(first, 5);
        assertThat(timers.advance(5)).isEqualTo(2);
        assertThat(fired).containsExactly("first", "second@5");
    }

    @Test
    void a_million_timers_all_fire_once_in_order() {
        int n = 1_000_000;
        SplittableRandom random = new SplittableRandom(3);
        long[] last = {Long.MIN_VALUE};
        int[] count = {0};
        for (int i = 0; i < n; i++) {
            timers.schedule(new Timeout() {
                @Override
                protected void expire(long nowNanos) {
                    assertThat(deadlineNanos()).isGreaterThanOrEqualTo(last[0]);
                    last[0] = deadlineNanos();
                    count[0]++;
                }
            }, random.nextLong(1, 3_600_000_000_000L));
        }
        timers.advance(3_600_000_000_000L);
        assertThat(count[0]).isEqualTo(n);
    }

    @Test
    void concurrent_schedule_and_cancel_lose_nothing() throws Exception {
        int threads = 4;
        int perThread = 20_000;
        AtomicIntegerArray fires = new AtomicIntegerArray(threads * perThread);
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int base = t * perThread;
            new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    int id = base + i;
                    Timeout timeout = new Timeout() {
                        @Override
                        protected void expire(long nowNanos) {
                            fires.incrementAndGet(id);
                        }
                    };
                    timers.schedule(timeout, id);
                    if (i % 3 == 0) {
                        timers.cancel(timeout);
                    }
                }
                done.countDown();
            }).start();
        }
        done.await();
        timers.advance(Long.MAX_VALUE);
        for (int id = 0; id < threads * perThread; id++) {
            assertThat(fires.get(id)).as("timer %d", id).isEqualTo((id % perThread) % 3 == 0 ? 0 : 1);
        }
    }

    @Test
    void an_earlier_deadline_wakes_the_timer_thread() {
        int[] wakes = {0};
        timers.setOnEarlierDeadline(deadline -> wakes[0]++);
        timers.schedule(new Named("x"), 100);
        timers.schedule(new Named("y"), 200);
        timers.schedule(new Named("z"), 50);
        assertThat(wakes[0]).isEqualTo(2);
    }

    @Test
    void re_arming_the_earliest_timer_later_wakes_nobody() {
        long[] woken = {-1};
        Named rto = new Named("rto");
        timers.schedule(rto, 100);
        timers.setOnEarlierDeadline(deadline -> woken[0] = deadline);
        timers.schedule(rto, 300); // every ACK restarts the retransmission timer
        assertThat(woken[0]).isEqualTo(-1);
        timers.schedule(new Named("syn"), 20);
        assertThat(woken[0]).isEqualTo(20);
    }
}
