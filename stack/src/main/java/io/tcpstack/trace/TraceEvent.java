package io.tcpstack.trace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One thing that happened in the stack, for traces and ladder diagrams: a segment in (with its
 * verdict) or out, a drop with its reason, a state change, a timer, a note, a fault a rule injected,
 * or the connection's variables after a segment or timer was processed (VARS, shown by verbose
 * traces only).
 *
 * @param nanos the stack clock when it happened
 * @param connection "local:port remote:port", or "-" for stack-wide events
 * @param rule the {@link Rule} or {@link io.tcpstack.stats.DropReason} name the stack applied, or null
 * @param vars what the connection's control block held right then, or null
 */
public record TraceEvent(long nanos, Kind kind, String connection, String text, String rule, Vars vars) {
    public enum Kind {
        SEGMENT_IN,
        SEGMENT_OUT,
        DROP,
        STATE,
        TIMER,
        NOTE,
        /** A fault rule dropped, delayed, duplicated, reordered or corrupted a segment. */
        FAULT,
        VARS
    }

    public TraceEvent(long nanos, Kind kind, String connection, String text) {
        this(nanos, kind, connection, text, null, null);
    }

    /**
     * A connection's variables (RFC 9293 3.3.1 names; sequence numbers absolute, windows in bytes,
     * cwnd and ssthresh in segments; ssthresh {@link Integer#MAX_VALUE} until the first loss) and
     * its armed timers as {@code name:ms-left} pairs ({@code rto:200.000,delack:40.000}).
     */
    public record Vars(String state, int iss, int irs, int sndUna, int sndNxt, int rcvNxt, int sndWnd, int rcvWnd,
            int cwnd, int ssthresh, int mss, String timers) {

        /** {@code state=ESTAB iss=... timers=rto:200.000}: the verbose trace's last column. */
        public String format() {
            return "state=" + state + " iss=" + Integer.toUnsignedString(iss) + " irs=" + Integer.toUnsignedString(irs)
                    + " una=" + Integer.toUnsignedString(sndUna) + " nxt=" + Integer.toUnsignedString(sndNxt)
                    + " rnxt=" + Integer.toUnsignedString(rcvNxt) + " swnd=" + sndWnd + " rwnd=" + rcvWnd
                    + " cwnd=" + cwnd + " ssthresh=" + ssthresh + " mss=" + mss
                    + " timers=" + (timers.isEmpty() ? "-" : timers);
        }

        /** Parses {@link #format()}; IllegalArgumentException if a field is missing. */
        public static Vars parse(String text) {
            Map<String, String> f = new LinkedHashMap<>();
            for (String word : text.trim().split(" ")) {
                int eq = word.indexOf('=');
                if (eq > 0) {
                    f.put(word.substring(0, eq), word.substring(eq + 1));
                }
            }
            try {
                String timers = f.get("timers");
                return new Vars(need(f, "state"), seq(f, "iss"), seq(f, "irs"), seq(f, "una"), seq(f, "nxt"),
                        seq(f, "rnxt"), Integer.parseInt(need(f, "swnd")), Integer.parseInt(need(f, "rwnd")),
                        Integer.parseInt(need(f, "cwnd")), Integer.parseInt(need(f, "ssthresh")),
                        Integer.parseInt(need(f, "mss")), timers == null || timers.equals("-") ? "" : timers);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad vars '" + text + "': " + e.getMessage(), e);
            }
        }

        private static String need(Map<String, String> f, String key) {
            String v = f.get(key);
            if (v == null) {
                throw new IllegalArgumentException("vars without " + key);
            }
            return v;
        }

        private static int seq(Map<String, String> f, String key) {
            return (int) Long.parseLong(need(f, key));
        }

        /** The armed timers: name -> milliseconds left. */
        public Map<String, Double> timerMap() {
            Map<String, Double> m = new LinkedHashMap<>();
            if (!timers.isEmpty()) {
                for (String t : timers.split(",")) {
                    int colon = t.indexOf(':');
                    m.put(t.substring(0, colon), Double.parseDouble(t.substring(colon + 1)));
                }
            }
            return m;
        }
    }

    /** {@code seconds.micros KIND connection text}: the trace line a person reads. */
    @Override
    public String toString() {
        return String.format("%d.%06d %-11s %s %s", nanos / 1_000_000_000L, (nanos / 1000) % 1_000_000,
                kind, connection, text);
    }

    /**
     * The trace line with the rule and the variables in tab-separated columns ({@code ctl trace -v},
     * what ladders are drawn from): {@code LINE\trule=NAME\tstate=... timers=...}.
     */
    public String verbose() {
        return this + "\trule=" + (rule == null ? "-" : rule) + (vars == null ? "" : "\t" + vars.format());
    }

    /**
     * Parses a line of {@link #toString()} or {@link #verbose()} (what {@code ctl trace} prints).
     * IllegalArgumentException for anything else.
     */
    public static TraceEvent parse(String line) {
        String[] columns = line.split("\t");
        String[] w = columns[0].split(" +", 3);
        if (w.length < 3) {
            throw new IllegalArgumentException("not a trace line: " + line);
        }
        try {
            int dot = w[0].indexOf('.');
            long nanos = Long.parseLong(w[0].substring(0, dot)) * 1_000_000_000L
                    + Long.parseLong(w[0].substring(dot + 1)) * 1000L;
            Kind kind = Kind.valueOf(w[1]);
            String rest = w[2];
            String connection;
            String text;
            if (rest.startsWith("- ") || rest.equals("-")) {
                connection = "-";
                text = rest.length() > 2 ? rest.substring(2) : "";
            } else {
                String[] c = rest.split(" ", 3);
                if (c.length < 2) {
                    throw new IllegalArgumentException("no connection");
                }
                connection = c[0] + " " + c[1];
                text = c.length > 2 ? c[2] : "";
            }
            String rule = null;
            Vars vars = null;
            for (int i = 1; i < columns.length; i++) {
                if (columns[i].startsWith("rule=")) {
                    String r = columns[i].substring(5);
                    rule = r.equals("-") ? null : r;
                } else if (columns[i].startsWith("state=")) {
                    vars = Vars.parse(columns[i]);
                }
            }
            return new TraceEvent(nanos, kind, connection, text, rule, vars);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a trace line (" + e.getMessage() + "): " + line, e);
        }
    }
}
