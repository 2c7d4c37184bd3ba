package io.tcpstack.link;

import java.time.Duration;

/**
 * What a {@link SimulatedNetwork} does to the packets of one direction (or of every direction):
 * a fixed one-way latency, random loss, random duplication, and reordering by random extra delay.
 * Immutable; build it from {@link #NONE} with the {@code with...} methods, e.g. {@code
 * Impairment.NONE.withLatency(Duration.ofMillis(10)).withLoss(0.02)}.
 *
 * @param latencyNanos one-way delay every packet gets
 * @param lossRate probability that a packet is lost (0..1)
 * @param duplicateRate probability that a packet arrives twice (0..1); the copy takes its own delay
 * @param reorderRate probability that a packet gets an extra delay (0..1)
 * @param reorderMaxNanos the extra delay is uniform in [0, reorderMaxNanos]: a delayed packet is
 *     overtaken by those sent after it within that time
 */
public record Impairment(long latencyNanos, double lossRate, double duplicateRate, double reorderRate,
        long reorderMaxNanos) {

    /** A perfect wire: no delay, no loss, no duplicates, in order. */
    public static final Impairment NONE = new Impairment(0, 0, 0, 0, 0);

    public Impairment {
        if (latencyNanos < 0 || reorderMaxNanos < 0) {
            throw new IllegalArgumentException("delays must not be negative");
        }
        checkRate("loss", lossRate);
        checkRate("duplicate", duplicateRate);
        checkRate("reorder", reorderRate);
    }

    private static void checkRate(String what, double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException(what + " rate must be within 0..1, got " + rate);
        }
    }

    public Impairment withLatency(Duration latency) {
        return new Impairment(latency.toNanos(), lossRate, duplicateRate, reorderRate, reorderMaxNanos);
    }

    public Impairment withLoss(double rate) {
        return new Impairment(latencyNanos, rate, duplicateRate, reorderRate, reorderMaxNanos);
    }

    public Impairment withDuplication(double rate) {
        return new Impairment(latencyNanos, lossRate, rate, reorderRate, reorderMaxNanos);
    }

    /** Delays a fraction {@code rate} of the packets by an extra uniform [0, maxExtraDelay]. */
    public Impairment withReorder(double rate, Duration maxExtraDelay) {
        return new Impairment(latencyNanos, lossRate, duplicateRate, rate, maxExtraDelay.toNanos());
    }
}
