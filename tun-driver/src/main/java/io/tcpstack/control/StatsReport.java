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
 * (connections in ESTABLISHED or CLOSE_WAIT, as Linux counts it), always absolute. With the
 * kernel's counters ({@code --kernel}, {@code nstat} run in the daemon's namespace) each line has
 * both columns, and the kernel's IP, ICMP and TCP counters the stack has no name for follow.
 */
final class StatsReport {
    static final String CURR_ESTAB = "TcpCurrEstab";

    /** The counters and drop reasons at one moment, and the kernel's counters (null: not asked for). */
    record Snapshot(long nanos, Map<String, Long> counters, Map<String, Long> drops, Map<String, Long> kernel) {
        Snapshot withKernel(Map<String, Long> kernelCounters) {
            return new Snapshot(nanos, counters, drops, kernelCounters);
        }
    }

    /** History per user and per kind of report (with the kernel's counters or without). */
    private final Map<String, Snapshot> history = new ConcurrentHashMap<>();
    private final Snapshot zero = new Snapshot(System.nanoTime(), Map.of(), Map.of(), Map.of());

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
        return new Snapshot(System.nanoTime(), counters, drops, null);
    }

    /**
     * The report of {@code now}: absolute, or (deltas) since {@code uid}'s previous delta report,
     * which {@code now} then becomes.
     */
    List<String> report(Snapshot now, int uid, boolean deltas, boolean zeros, boolean json) {
        String key = uid + (now.kernel() == null ? "" : "+kernel");
        Snapshot base = deltas ? history.getOrDefault(key, zero) : zero;
        if (deltas) {
            history.put(key, now);
        }
        Map<String, Long> counters = diff(now.counters(), base.counters());
        counters.put(CURR_ESTAB, now.counters().get(CURR_ESTAB));
        Map<String, Long> drops = diff(now.drops(), base.drops());
        Map<String, Long> kernel = now.kernel() == null ? null : diff(now.kernel(), base.kernel());
        if (kernel != null && kernel.containsKey(CURR_ESTAB)) {
            kernel.put(CURR_ESTAB, now.kernel().get(CURR_ESTAB));
        }
        if (!zeros) {
            drops.values().removeIf(v -> v == 0);
        }
        String title = deltas ? String.format("deltas over %.1f s", (now.nanos() - base.nanos()) / 1e9) : "";
        if (kernel != null) {
            return withKernel(counters, kernel, drops, zeros, json, title);
        }
        if (!zeros) {
            counters.values().removeIf(v -> v == 0);
        }
        if (json) {
            return List.of("{\"tcpstack\":" + json(counters) + ",\"drops\":" + json(drops) + "}");
        }
        List<String> lines = new ArrayList<>();
        lines.add(title.isEmpty() ? "#tcpstack" : "#tcpstack " + title);
        counters.forEach((name, value) -> lines.add(String.format("%-32s %d", name, value)));
        addDrops(lines, drops);
        return lines;
    }

    /** The stack's counters and the kernel's side by side ("-" where one has no such counter). */
    private static List<String> withKernel(Map<String, Long> stack, Map<String, Long> kernel, Map<String, Long> drops,
            boolean zeros, boolean json, String title) {
        Map<String, Long> kernelShown = new LinkedHashMap<>();
        kernel.forEach((name, value) -> {
            boolean ipv4 = name.startsWith("Ip") && !name.startsWith("Ip6")
                    || name.startsWith("Icmp") && !name.startsWith("Icmp6");
            if (stack.containsKey(name) || ipv4 || name.startsWith("Tcp")) {
                kernelShown.put(name, value);
            }
        });
        if (json) {
            Map<String, Long> s = new LinkedHashMap<>(stack);
            if (!zeros) {
                s.values().removeIf(v -> v == 0);
                kernelShown.values().removeIf(v -> v == 0);
            }
            return List.of("{\"tcpstack\":" + json(s) + ",\"kernel\":" + json(kernelShown) + ",\"drops\":" + json(drops)
                    + "}");
        }
        List<String> lines = new ArrayList<>();
        lines.add("#tcpstack and kernel (nstat in the daemon's namespace)" + (title.isEmpty() ? "" : " " + title));
        lines.add(String.format("%-32s %12s %12s", "counter", "tcpstack", "kernel"));
        java.util.Set<String> names = new java.util.LinkedHashSet<>(stack.keySet());
        names.addAll(kernelShown.keySet());
        for (String name : names) {
            Long ours = stack.get(name);
            Long theirs = kernelShown.get(name);
            if (zeros || (ours != null && ours != 0) || (theirs != null && theirs != 0)) {
                lines.add(String.format("%-32s %12s %12s", name, ours == null ? "-" : ours, theirs == null ? "-" : theirs));
            }
        }
        addDrops(lines, drops);
        return lines;
    }

    private static void addDrops(List<String> lines, Map<String, Long> drops) {
        lines.add("#drop reasons");
        drops.forEach((name, value) -> lines.add(String.format("%-32s %d", name, value)));
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
