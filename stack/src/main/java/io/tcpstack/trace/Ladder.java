package io.tcpstack.trace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Draws trace events as an ASCII ladder diagram, the way the Linux patch describing the
 * FIN/ACK race draws one: the stack on the left, its peer on the right, time going down, one
 * line per segment (flags, seq/ack, and what the stack decided), state changes and timers
 * between the rails.
 */
public final class Ladder {
    private static final int WIDTH = 64;

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

    /** Renders {@code events} of {@code connection} ("local:port remote:port"). */
    public static String render(String connection, List<TraceEvent> events) {
        String[] ends = connection.split(" ");
        StringBuilder out = new StringBuilder();
        String left = "tcpstack " + ends[0];
        String right = "peer " + (ends.length > 1 ? ends[1] : "?");
        out.append(String.format("%10s  %-" + (WIDTH - right.length() + 2) + "s%s%n", "ms", left, right));
        long t0 = events.isEmpty() ? 0 : events.get(0).nanos();
        for (TraceEvent e : events) {
            String time = String.format("%10.3f  ", (e.nanos() - t0) / 1e6);
            out.append(time).append(line(e)).append('\n');
        }
        return out.toString();
    }

    private static String line(TraceEvent e) {
        return switch (e.kind()) {
            case SEGMENT_OUT -> arrowRight(e.text());
            case SEGMENT_IN -> arrowLeft(e.text());
            case DROP -> "|  x dropped: " + e.text().substring(e.text().indexOf(" dropped: ") + 10) + "  ("
                    + e.text().substring(0, Math.max(e.text().indexOf(" q"), 0)) + ")";
            case STATE -> "|  " + e.text() + pad(WIDTH - 3 - e.text().length()) + "|";
            case TIMER -> "|  timer: " + e.text() + pad(WIDTH - 10 - e.text().length()) + "|";
            case NOTE -> "|  (" + e.text() + ")";
            case FAULT -> "|  (fault " + e.text() + ")";
        };
    }

    /** "S seq=.. [SYN-SENT]" -> "|-- S seq=.. ------>|  [SYN-SENT]". */
    private static String arrowRight(String text) {
        int bracket = text.indexOf(" [");
        String segment = bracket < 0 ? text : text.substring(0, bracket);
        String note = bracket < 0 ? "" : "  " + text.substring(bracket + 1);
        return "|-- " + segment + " " + dashes(WIDTH - 7 - segment.length()) + ">|" + note;
    }

    /** "S. seq=.. q1 -> verdict" -> "|<------ S. seq=.. --|  q1: verdict". */
    private static String arrowLeft(String text) {
        int q = text.indexOf(" q");
        String segment = q < 0 ? text : text.substring(0, q);
        String note = q < 0 ? "" : "  " + text.substring(q + 1).replace(" -> ", ": ");
        return "|<" + dashes(WIDTH - 6 - segment.length()) + " " + segment + " --|" + note;
    }

    private static String dashes(int n) {
        return "-".repeat(Math.max(n, 1));
    }

    private static String pad(int n) {
        return " ".repeat(Math.max(n, 1));
    }
}
