package io.tcpstack.examples;

import java.util.Arrays;

/**
 * Latencies in microseconds, kept exactly: a bounded array of samples, sorted when a figure is
 * asked for. Percentiles use the nearest-rank method (the smallest sample with at least p% of
 * the samples at or below it), so every figure is a latency that was really measured.
 * scripts/fin_ack_lat.py computes and formats its figures the same way. Not thread-safe.
 */
public final class LatencyHistogram {
    private final long[] micros;
    private int count;
    private boolean sorted = true;

    /** Room for {@code capacity} samples; recording more is an error. */
    public LatencyHistogram(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " < 0");
        }
        this.micros = new long[capacity];
    }

    /** Records a latency given in nanoseconds, truncated to whole microseconds. */
    public void recordNanos(long nanos) {
        recordMicros(nanos / 1000);
    }

    public void recordMicros(long latencyMicros) {
        if (latencyMicros < 0) {
            throw new IllegalArgumentException("latency " + latencyMicros + " us < 0");
        }
        if (count == micros.length) {
            throw new IllegalStateException("histogram full: " + count + " samples");
        }
        micros[count++] = latencyMicros;
        sorted = false;
    }

    public int count() {
        return count;
    }

    public int capacity() {
        return micros.length;
    }

    /**
     * The nearest-rank percentile in microseconds: the sample at rank ceil(p/100 x count), 1-based.
     * {@code percentile} 0 gives the minimum; an empty histogram gives 0.
     */
    public long percentileMicros(double percentile) {
        if (!(percentile >= 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile " + percentile + " not in 0..100");
        }
        if (count == 0) {
            return 0;
        }
        sort();
        int rank = (int) Math.ceil(percentile * count / 100);
        return micros[Math.max(rank, 1) - 1];
    }

    /** The smallest sample, 0 when empty. */
    public long minMicros() {
        return percentileMicros(0);
    }

    /** The largest sample, 0 when empty. */
    public long maxMicros() {
        return percentileMicros(100);
    }

    /** How many samples are strictly greater than {@code thresholdMicros}. */
    public int countAbove(long thresholdMicros) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (micros[i] > thresholdMicros) {
                n++;
            }
        }
        return n;
    }

    /**
     * Microseconds as milliseconds with one decimal, rounded half up in integer arithmetic (so
     * 250 us is "0.3"): the same text in Java and Python, where float formatting rounds ties
     * differently.
     */
    public static String formatMillis(long micros) {
        if (micros < 0) {
            throw new IllegalArgumentException("latency " + micros + " us < 0");
        }
        long tenths = (micros + 50) / 100;
        return (tenths / 10) + "." + (tenths % 10);
    }

    private void sort() {
        if (!sorted) {
            Arrays.sort(micros, 0, count);
            sorted = true;
        }
    }

    @Override
    public String toString() {
        return "LatencyHistogram[count=" + count + " p50=" + formatMillis(percentileMicros(50)) + "ms max="
                + formatMillis(maxMicros()) + "ms]";
    }
}
