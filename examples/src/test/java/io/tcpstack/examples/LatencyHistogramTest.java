package io.tcpstack.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    private static LatencyHistogram of(long... micros) {
        LatencyHistogram h = new LatencyHistogram(micros.length);
        for (long m : micros) {
            h.recordMicros(m);
        }
        return h;
    }

    @Test
    void nearest_rank_percentiles_of_one_to_one_hundred() {
        LatencyHistogram h = new LatencyHistogram(100);
        for (int i = 100; i >= 1; i--) { // recorded out of order
            h.recordMicros(i);
        }
        assertThat(h.count()).isEqualTo(100);
        assertThat(h.percentileMicros(50)).isEqualTo(50);
        assertThat(h.percentileMicros(99)).isEqualTo(99);
        assertThat(h.percentileMicros(99.5)).isEqualTo(100);
        assertThat(h.percentileMicros(1)).isEqualTo(1);
        assertThat(h.minMicros()).isEqualTo(1);
        assertThat(h.maxMicros()).isEqualTo(100);
    }

    @Test
    void p99_of_fifty_samples_is_the_largest_and_p50_the_twenty_fifth() {
        LatencyHistogram h = new LatencyHistogram(50);
        for (int i = 1; i <= 50; i++) {
            h.recordMicros(i * 10L);
        }
        assertThat(h.percentileMicros(50)).isEqualTo(250); // rank ceil(25.0) = 25
        assertThat(h.percentileMicros(99)).isEqualTo(500); // rank ceil(49.5) = 50
    }

    @Test
    void median_of_three_and_a_single_sample() {
        assertThat(of(7, 1, 3).percentileMicros(50)).isEqualTo(3);
        LatencyHistogram one = of(42);
        assertThat(one.percentileMicros(0)).isEqualTo(42);
        assertThat(one.percentileMicros(50)).isEqualTo(42);
        assertThat(one.percentileMicros(100)).isEqualTo(42);
    }

    @Test
    void two_hundred_samples_with_a_slow_tail() {
        LatencyHistogram h = new LatencyHistogram(200);
        for (int i = 0; i < 188; i++) {
            h.recordMicros(300);
        }
        for (int i = 0; i < 12; i++) {
            h.recordMicros(1_002_100 + i * 173L);
        }
        assertThat(h.percentileMicros(50)).isEqualTo(300);
        assertThat(h.percentileMicros(99)).isEqualTo(1_002_100 + 9 * 173L); // rank 198 of 200
        assertThat(h.maxMicros()).isEqualTo(1_002_100 + 11 * 173L);
        assertThat(h.countAbove(500_000)).isEqualTo(12);
    }

    @Test
    void recording_after_a_query_keeps_every_sample() {
        LatencyHistogram h = new LatencyHistogram(4);
        h.recordMicros(30);
        h.recordMicros(10);
        assertThat(h.maxMicros()).isEqualTo(30);
        h.recordMicros(5);
        h.recordMicros(40);
        assertThat(h.minMicros()).isEqualTo(5);
        assertThat(h.maxMicros()).isEqualTo(40);
        assertThat(h.percentileMicros(50)).isEqualTo(10);
    }

    @Test
    void count_above_is_strict() {
        LatencyHistogram h = of(499_999, 500_000, 500_001);
        assertThat(h.countAbove(500_000)).isEqualTo(1);
        assertThat(h.countAbove(0)).isEqualTo(3);
    }

    @Test
    void nanoseconds_are_truncated_to_microseconds() {
        LatencyHistogram h = new LatencyHistogram(2);
        h.recordNanos(1_999);
        h.recordNanos(999);
        assertThat(h.minMicros()).isZero();
        assertThat(h.maxMicros()).isEqualTo(1);
    }

    @Test
    void empty_histogram_reports_zero() {
        LatencyHistogram h = new LatencyHistogram(0);
        assertThat(h.count()).isZero();
        assertThat(h.percentileMicros(50)).isZero();
        assertThat(h.maxMicros()).isZero();
        assertThat(h.countAbove(0)).isZero();
    }

    @Test
    void bounded_and_validated() {
        LatencyHistogram h = of(1, 2);
        assertThat(h.capacity()).isEqualTo(2);
        assertThatThrownBy(() -> h.recordMicros(3)).isInstanceOf(IllegalStateException.class).hasMessageContaining("full");
        assertThatThrownBy(() -> new LatencyHistogram(1).recordMicros(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.percentileMicros(100.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.percentileMicros(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LatencyHistogram(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void milliseconds_with_one_decimal_rounded_half_up() {
        assertThat(LatencyHistogram.formatMillis(0)).isEqualTo("0.0");
        assertThat(LatencyHistogram.formatMillis(49)).isEqualTo("0.0");
        assertThat(LatencyHistogram.formatMillis(50)).isEqualTo("0.1");
        assertThat(LatencyHistogram.formatMillis(250)).isEqualTo("0.3");
        assertThat(LatencyHistogram.formatMillis(1_049)).isEqualTo("1.0");
        assertThat(LatencyHistogram.formatMillis(1_050)).isEqualTo("1.1");
        assertThat(LatencyHistogram.formatMillis(999_960)).isEqualTo("1000.0");
        assertThat(LatencyHistogram.formatMillis(1_002_149)).isEqualTo("1002.1");
    }
}
