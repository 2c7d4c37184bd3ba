package io.tcpstack.trace;

import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Picks what of a long trace is worth drawing as a ladder ({@link TraceLadder}, {@link
 * TextLadder}): the slowest handshake of many, with what led up to it.
 */
public final class Ladder {
    private Ladder() {
    }

    /** The events of one slowest handshake, with what led up to it. */
    public record Window(String connection, long connectNanos, List<TraceEvent> events) {
    }

    /**
     * The active open that took longest: from the STATE event into SYN-SENT to SYN-SENT -> ESTAB,
     * with the previous connection of the same 4-tuple from its ESTAB on (how it ended is what
     * the next connect meets). Null if no connect finished.
     */
    public static Window slowestConnect(List<TraceEvent> events) {
        return slowest(events, e -> e.kind() == TraceEvent.Kind.STATE && e.text().endsWith("-> SYN-SENT"),
                e -> e.kind() == TraceEvent.Kind.STATE && e.text().equals("SYN-SENT -> ESTAB"));
    }

    /**
     * The passive open that took longest: from its first SYN in (a client's first try) to
     * SYN-RECV -> ESTAB, with the previous connection of the same 4-tuple from its ESTAB on.
     */
    public static Window slowestAccept(List<TraceEvent> events) {
        return slowest(events, e -> {
            SegmentText.Fields s = e.kind() == TraceEvent.Kind.SEGMENT_IN ? SegmentText.parse(e.text()) : null;
            return s != null && s.has(TcpView.SYN) && !s.has(TcpView.ACK);
        }, e -> e.kind() == TraceEvent.Kind.STATE && e.text().equals("SYN-RECV -> ESTAB"));
    }

    private static Window slowest(List<TraceEvent> events, Predicate<TraceEvent> opens, Predicate<TraceEvent> done) {
        int bestStart = -1;
        int bestEnd = -1;
        long best = -1;
        String bestConnection = null;
        Map<String, Integer> openedAt = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            TraceEvent e = events.get(i);
            if (opens.test(e)) {
                openedAt.putIfAbsent(e.connection(), i);
            } else if (done.test(e) && openedAt.containsKey(e.connection())) {
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
        for (int i = bestStart - 1; i >= 0; i--) {
            TraceEvent e = events.get(i);
            if (e.connection().equals(bestConnection) && e.kind() == TraceEvent.Kind.STATE && e.text().endsWith("-> ESTAB")) {
                from = i;
                break;
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
