package io.tcpstack.stats;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The stack's counters: one {@link LongAdder} per {@link Counter} and per {@link DropReason}, so
 * that reader threads on several queues count without contending.
 */
public final class StackStats {
    private static final Counter[] COUNTERS = Counter.values();
    private static final DropReason[] REASONS = DropReason.values();

    private final LongAdder[] counters = new LongAdder[COUNTERS.length];
    private final LongAdder[] drops = new LongAdder[REASONS.length];

    public StackStats() {
        for (int i = 0; i < counters.length; i++) {
            counters[i] = new LongAdder();
        }
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    public void inc(Counter counter) {
        counters[counter.ordinal()].increment();
    }

    public void add(Counter counter, long delta) {
        counters[counter.ordinal()].add(delta);
    }

    /** Counts a dropped packet under its reason. */
    public void drop(DropReason reason) {
        drops[reason.ordinal()].increment();
    }

    public long get(Counter counter) {
        return counters[counter.ordinal()].sum();
    }

    public long get(DropReason reason) {
        return drops[reason.ordinal()].sum();
    }

    /** A snapshot of every counter, in declaration order. */
    public Map<Counter, Long> counters() {
        Map<Counter, Long> snapshot = new EnumMap<>(Counter.class);
        for (Counter c : COUNTERS) {
            snapshot.put(c, get(c));
        }
        return snapshot;
    }

    /** A snapshot of every drop reason, in declaration order. */
    public Map<DropReason, Long> drops() {
        Map<DropReason, Long> snapshot = new EnumMap<>(DropReason.class);
        for (DropReason r : REASONS) {
            snapshot.put(r, get(r));
        }
        return snapshot;
    }
}
