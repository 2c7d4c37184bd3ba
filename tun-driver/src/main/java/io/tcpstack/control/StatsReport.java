package io.tcpstack.control;

import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * {@code ctl stats}: the stack's counters under their nstat names (iproute2 misc/nstat.c), as
 * nstat prints them (a {@code #tcpstack} line, then {@code NAME VALUE}, zeros left out unless
 * asked for, {@code --json} as {@code {"tcpstack":{...}}}), then the drop reasons. Like nstat,
 * {@code -d} shows what changed since the same user's previous {@code -d} (nstat keeps that
 * history per user in /tmp/.nstat.uUID; here the daemon keeps it). TcpCurrEstab is a gauge
 * (connections in ESTABLISHED or CLOSE_WAIT, as Linux counts it), always absolute.
 */
final class StatsReport {
    static final String CURR_ESTAB = "TcpCurrEstab";

    /** The counters and drop reasons at one moment. */
    record Snapshot(long nanos, Map<String, Long> counters, Map<String, Long> drops) {
    }

    private final Map<Integer, Snapshot> historyByUid = new ConcurrentHashMap<>();
    private final Snapshot zero = new Snapshot(System.nanoTime(), Map.of(), Map.of());

    static Snapshot take(StackStats stats, long currEstab) {
        Map<String, Long> counters = new LinkedHashMap<>();
        for (Map.Entry<Counter, Long> e : stats.counters().entrySet()) {
            counters.put(e.getKey().name(), e.getValue());
            if (e.getKey() == Counter.TcpInErrs) {
                counters.put(CURR_ESTAB, currEstab); // where nstat lists it, among the TCP-MIB
            }
        }
        Map<String, Long> drops = new LinkedHashMap<>();
        for (Map.Entry<DropReason, Long> e : stats.drops().entrySet()) {
            drops.put(e.getKey().name(), e.getValue());
        }
        return new Snapshot(System.nanoTime(), counters, drops);
    }

    /**
     * The report of {@code now}: absolute, or (deltas) since {@code uid}'s previous delta report,
     * which {@code now} then becomes.
     */
    List<String> report(Snapshot now, int uid, boolean deltas, boolean zeros, boolean json) {
        Snapshot base = deltas ? historyByUid.getOrDefault(uid, zero) : zero;
        if (deltas) {
            historyByUid.put(uid, now);
        }
        Map<String, Long> counters = diff(now.counters(), base.counters());
        counters.put(CURR_ESTAB, now.counters().get(CURR_ESTAB));
        Map<String, Long> drops = diff(now.drops(), base.drops());
        if (!zeros) {
            counters.values().removeIf(v -> v == 0);
            drops.values().removeIf(v -> v == 0);
        }
        if (json) {
            return List.of("{\"tcpstack\":" + json(counters) + ",\"drops\":" + json(drops) + "}");
        }
        List<String> lines = new ArrayList<>();
        lines.add(deltas ? String.format("#tcpstack deltas over %.1f s", (now.nanos() - base.nanos()) / 1e9) : "#tcpstack");
        counters.forEach((name, value) -> lines.add(String.format("%-32s %d", name, value)));
        lines.add("#drop reasons");
        drops.forEach((name, value) -> lines.add(String.format("%-32s %d", name, value)));
        return lines;
    }

    private static Map<String, Long> diff(Map<String, Long> now, Map<String, Long> base) {
        Map<String, Long> d = new LinkedHashMap<>();
        now.forEach((name, value) -> d.put(name, value - base.getOrDefault(name, 0L)));
        return d;
    }

    private static String json(Map<String, Long> values) {
        return values.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }
}
