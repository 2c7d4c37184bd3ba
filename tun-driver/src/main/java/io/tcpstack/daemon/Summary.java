package io.tcpstack.daemon;

import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The info line that sums the stack up: connections by state, and what the main counters say
 * since the start ("3 connections (2 ESTAB, 1 TIME-WAIT), 3 listeners; since start: 40 passive
 * opens...").
 */
final class Summary {
    private final TcpStack stack;
    private String lastCounters = "";

    Summary(TcpStack stack) {
        this.stack = stack;
    }

    String line() {
        Map<String, Long> byState = new TreeMap<>();
        long listeners = 0;
        for (ConnectionInfo c : stack.connections()) {
            if (c.state() == TcpState.LISTEN) {
                listeners++;
            } else {
                byState.merge(c.state().ssName(), 1L, Long::sum);
            }
        }
        long total = byState.values().stream().mapToLong(Long::longValue).sum();
        String states = byState.isEmpty() ? ""
                : byState.entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                        .collect(Collectors.joining(", ", " (", ")"));
        return total + " connection(s)" + states + ", " + listeners + " listener(s); since start: " + counters();
    }

    private String counters() {
        long drops = stack.stats().drops().values().stream().mapToLong(Long::longValue).sum();
        long injected = stack.stats().get(DropReason.FAULT_INJECTED);
        return get(Counter.TcpPassiveOpens) + " passive and " + get(Counter.TcpActiveOpens) + " active opens, "
                + get(Counter.TcpAttemptFails) + " failed, " + get(Counter.TcpEstabResets) + " reset, "
                + get(Counter.TcpOutRsts) + " RSTs sent, " + get(Counter.TcpRetransSegs) + " segments retransmitted, "
                + drops + " packets dropped" + (injected > 0 ? " (" + injected + " by fault rules)" : "") + faults();
    }

    /** What fault rules did besides dropping, when they did anything. */
    private String faults() {
        long delayed = get(Counter.TcpExtFaultDelayed);
        long duplicated = get(Counter.TcpExtFaultDuplicated);
        long reordered = get(Counter.TcpExtFaultReordered);
        long corrupted = get(Counter.TcpExtFaultCorrupted);
        return delayed + duplicated + reordered + corrupted == 0 ? "" : ", fault rules also delayed " + delayed
                + ", duplicated " + duplicated + ", reordered " + reordered + " and corrupted " + corrupted + " segments";
    }

    private long get(Counter c) {
        return stack.stats().get(c);
    }

    /** The line if the counters moved since the last call that returned one, else null (quiet when idle). */
    String lineIfChanged() {
        String now = counters() + stack.stats().get(Counter.TcpInSegs) + "/" + stack.stats().get(Counter.TcpOutSegs);
        if (now.equals(lastCounters)) {
            return null;
        }
        lastCounters = now;
        return line();
    }
}
