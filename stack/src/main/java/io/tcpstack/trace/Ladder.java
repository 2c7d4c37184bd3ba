package io.tcpstack.trace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks what of a long trace is worth drawing as a ladder ({@link TraceLadder}, {@link
 * TextLadder}): the slowest handshake of many, with what led up to it.
 */
public final class Ladder {
    private Ladder() {
    }

    /** The events of one slowest handshake: from SYN-SENT to ESTAB, with what led up to it. */
    public record Window(String connection, long connectNanos, List<TraceEvent> events) {
    }

    /**
     * Finds the active open that took longest (a STATE event into SYN-SENT to the one into
     * ESTAB, same connection) and returns its events, preceded by the {@code context} events of
     * that connection just before it (how the previous connection ended). Null if none finished.
     */
    public static Window slowestConnect(List<TraceEvent> events, int context) {
        int bestStart = -1;
        int bestEnd = -1;
        long best = -1;
        String bestConnection = null;
        Map<String, Integer> openedAt = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            TraceEvent e = events.get(i);
            if (e.kind() != TraceEvent.Kind.STATE) {
                continue;
            }
            if (e.text().endsWith("-> SYN-SENT")) {
                openedAt.put(e.connection(), i);
            } else if (e.text().equals("SYN-SENT -> ESTAB") && openedAt.containsKey(e.connection())) {
                int start = openedAt.remove(e.connection());
                long took = e.nanos() - events.get(start).nanos();
                if (took > best) {
                    best = took;
                    bestStart = start;
                    bestEnd = i;
                    bestConnection = e.connection();
                }
            }
        }
        if (bestConnection == null) {
            return null;
        }
        int from = bestStart;
        for (int seen = 0; from > 0 && seen < context; ) {
            from--;
            if (events.get(from).connection().equals(bestConnection)) {
                seen++;
            }
        }
        List<TraceEvent> window = new ArrayList<>();
        for (int i = from; i <= bestEnd; i++) {
            TraceEvent e = events.get(i);
            if (e.connection().equals(bestConnection) || e.connection().equals("-")) {
                window.add(e);
            }
        }
        return new Window(bestConnection, best, window);
    }
}
