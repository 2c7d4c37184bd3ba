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
     * The active open that took longest (from the STATE event into SYN-SENT to SYN-SENT -> ESTAB),
     * among those whose window has an event {@code worthShowing} if any has one, with the previous
     * connection of the same 4-tuple from its ESTAB on (how it ended is what the next connect
     * meets). Null if no connect finished.
     */
    public static Window slowestConnect(List<TraceEvent> events, Predicate<TraceEvent> worthShowing) {
        return slowest(events, e -> e.kind() == TraceEvent.Kind.STATE && e.text().endsWith("-> SYN-SENT"),
                e -> e.kind() == TraceEvent.Kind.STATE && e.text().equals("SYN-SENT -> ESTAB"), worthShowing);
    }

    /**
     * The passive open that took longest (from its first SYN in, processed or dropped, to SYN-RECV
     * -> ESTAB), chosen and shown as {@link #slowestConnect} does.
     */
    public static Window slowestAccept(List<TraceEvent> events, Predicate<TraceEvent> worthShowing) {
        return slowest(events, e -> {
            boolean in = e.kind() == TraceEvent.Kind.SEGMENT_IN || e.kind() == TraceEvent.Kind.DROP;
            SegmentText.Fields s = in ? SegmentText.parse(e.text()) : null;
            return s != null && s.has(TcpView.SYN) && !s.has(TcpView.ACK);
        }, e -> e.kind() == TraceEvent.Kind.STATE && e.text().equals("SYN-RECV -> ESTAB"), worthShowing);
    }

    /** A drop with this reason: what makes a window worth showing. */
    public static Predicate<TraceEvent> dropped(String reason) {
        return e -> e.kind() == TraceEvent.Kind.DROP && e.text().endsWith("dropped: " + reason);
    }

    private static Window slowest(List<TraceEvent> events, Predicate<TraceEvent> opens, Predicate<TraceEvent> done,
            Predicate<TraceEvent> worthShowing) {
        Window best = null;
        boolean bestWorth = false;
        Map<String, Integer> openedAt = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            TraceEvent e = events.get(i);
            if (opens.test(e)) {
                openedAt.putIfAbsent(e.connection(), i);
            } else if (done.test(e) && openedAt.containsKey(e.connection())) {
                int start = openedAt.remove(e.connection());
                Window w = window(events, e.connection(), start, i);
                boolean worth = w.events().stream().anyMatch(worthShowing);
                if (best == null || (worth && !bestWorth) || (worth == bestWorth && w.connectNanos() > best.connectNanos())) {
                    best = w;
                    bestWorth = worth;
                }
            }
        }
        return best;
    }

    /** Events {@code start..end} of {@code connection}, from its previous ESTAB on. */
    private static Window window(List<TraceEvent> events, String connection, int start, int end) {
        int from = start;
        for (int i = start - 1; i >= 0; i--) {
            TraceEvent e = events.get(i);
            if (e.connection().equals(connection) && e.kind() == TraceEvent.Kind.STATE && e.text().endsWith("-> ESTAB")) {
                from = i;
                break;
            }
        }
        List<TraceEvent> window = new ArrayList<>();
        for (int i = from; i <= end; i++) {
            TraceEvent e = events.get(i);
            if (e.connection().equals(connection) || e.connection().equals("-")) {
                window.add(e);
            }
        }
        return new Window(connection, events.get(end).nanos() - events.get(start).nanos(), window);
    }
}
