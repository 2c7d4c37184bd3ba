package io.tcpstack.link;

import io.tcpstack.link.FaultRule.Action;
import io.tcpstack.link.FaultRule.Direction;
import io.tcpstack.link.FaultRule.Selection;
import io.tcpstack.trace.SegmentText;
import io.tcpstack.wire.EndpointFilter;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The words of one {@link FaultRule} as {@link FaultRule#parse} reads them: each MATCH term and
 * OPTION checked as it comes, then the whole checked for contradictions ({@link #checkCanMatch})
 * before a rule is made, so a rule that can never match is refused with the reason.
 */
final class FaultRuleBuilder {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(us|ms|s)");
    private static final Pattern RANGE = Pattern.compile("(\\d{1,10})-(\\d{1,10})");
    private static final int SYN_FIN_RST = TcpView.SYN | TcpView.FIN | TcpView.RST;

    final String text;
    Direction direction;
    final List<String> endpointWords = new ArrayList<>();
    final List<String> kinds = new ArrayList<>();
    String flagsWord;
    Boolean data;
    long seqFrom = -1;
    long seqTo = -1;
    boolean freshOnly;
    Action action;
    long delayNanos;
    long jitterNanos;
    int reorderBy = 2;
    long reorderMaxNanos = 20_000_000L;
    Selection selection = Selection.ALL;
    long n;
    double p;
    Long seed;
    /** Flags the kinds and flags= require set, and require clear. */
    int mustSet;
    int mustClear;
    boolean anyWord;

    FaultRuleBuilder(String text) {
        this.text = text;
    }

    IllegalArgumentException error(String what) {
        return new IllegalArgumentException("fault rule '" + text + "': " + what);
    }

    IllegalArgumentException never(String why) {
        return new IllegalArgumentException("fault rule '" + text + "' never matches: " + why);
    }

    void matchTerm(String w) {
        switch (w) {
            case "any" -> anyWord = true;
            case "syn" -> kind(w, TcpView.SYN, 0);
            case "fin" -> kind(w, TcpView.FIN, 0);
            case "rst" -> kind(w, TcpView.RST, 0);
            case "ack" -> {
                kind(w, TcpView.ACK, SYN_FIN_RST);
                payload(false, w);
            }
            case "data" -> {
                kinds.add(w);
                payload(true, w);
            }
            case "empty" -> {
                kinds.add(w);
                payload(false, w);
            }
            case "fresh-only" -> freshOnly = true;
            default -> {
                if (w.startsWith("flags=")) {
                    flags(w.substring("flags=".length()));
                } else if (w.startsWith("seq=")) {
                    seq(w.substring("seq=".length()));
                } else if (w.startsWith("seed=")) {
                    seed = number(w, "seed=", 0, Long.MAX_VALUE);
                } else if (w.contains(":") || w.equals("*") || isAddress(w)) {
                    endpointWords.add(w);
                    if (endpointWords.size() > 2) {
                        throw error("at most two endpoints (a 4-tuple), got " + endpointWords.size());
                    }
                    EndpointFilter.parse(List.of(w)); // says what an endpoint looks like
                } else {
                    throw error("'" + w + "' is not a MATCH term (any, ENDPOINT, syn, fin, rst, ack, data, empty,"
                            + " flags=, seq=) nor an ACTION (drop, delay, duplicate, reorder, corrupt)");
                }
            }
        }
    }

    private static boolean isAddress(String w) {
        try {
            IpAddress.parse(w);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void kind(String word, int set, int clear) {
        kinds.add(word);
        mustSet |= set;
        mustClear |= clear;
    }

    private void payload(boolean withData, String word) {
        if (data != null && data != withData) {
            throw never("'" + word + "' and " + (withData ? "'ack' or 'empty'" : "'data'")
                    + " contradict each other (a segment has data or has none)");
        }
        data = withData;
    }

    private void flags(String spec) {
        if (flagsWord != null) {
            throw error("flags= given twice");
        }
        String[] parts = spec.split("/", -1);
        if (parts.length > 2 || parts[0].isEmpty()) {
            throw error("flags=FLAGS[/MASK] takes tcpdump's letters S F R P U E W and . (ACK), got 'flags=" + spec + "'");
        }
        int set = flagBits(parts[0]);
        int mask = parts.length == 2 ? flagBits(parts[1]) : set;
        if ((set & ~mask) != 0) {
            throw never("flags=" + spec + " wants " + TcpView.flagString(set & ~mask) + " set but looks only at "
                    + TcpView.flagString(mask));
        }
        flagsWord = spec;
        mustSet |= set;
        mustClear |= mask & ~set;
    }

    /** tcpdump's letters, in either case, {@code A} also for ACK. */
    private int flagBits(String letters) {
        String upper = letters.toUpperCase(Locale.ROOT).replace('A', '.');
        for (char c : upper.toCharArray()) {
            if ("SFRPUEW.".indexOf(c) < 0) {
                throw error("flag '" + c + "' is not one of S F R P U E W . (tcpdump's letters)");
            }
        }
        return SegmentText.flags(upper);
    }

    private void seq(String range) {
        Matcher m = RANGE.matcher(range);
        if (!m.matches()) {
            throw error("seq=FROM-TO takes two numbers counted from the ISN, e.g. seq=1-14481, got 'seq=" + range + "'");
        }
        seqFrom = Long.parseLong(m.group(1));
        seqTo = Long.parseLong(m.group(2));
        if (seqTo > 1L << 32 || seqFrom >= seqTo) {
            throw never("seq=" + range + " is an empty range (FROM must be below TO, both within 2^32)");
        }
    }

    void option(String w) {
        if (w.equals("once")) {
            select(Selection.ONCE, 1, w);
        } else if (w.equals("fresh-only")) {
            freshOnly = true;
        } else if (w.startsWith("every=")) {
            select(Selection.EVERY, number(w, "every=", 1, Integer.MAX_VALUE), w);
        } else if (w.startsWith("nth=")) {
            select(Selection.NTH, number(w, "nth=", 1, Integer.MAX_VALUE), w);
        } else if (w.startsWith("p=")) {
            select(Selection.PROBABILITY, 0, w);
            try {
                p = Double.parseDouble(w.substring(2));
            } catch (NumberFormatException e) {
                throw error("'" + w + "': p takes a probability like 0.05");
            }
            if (!(p > 0 && p <= 1)) {
                throw never("p=" + w.substring(2) + " must be above 0 and at most 1");
            }
        } else if (w.startsWith("seed=")) {
            seed = number(w, "seed=", 0, Long.MAX_VALUE);
        } else if (w.startsWith("jitter=") && action == Action.DELAY) {
            jitterNanos = duration(w.substring("jitter=".length()), "jitter");
        } else if (w.startsWith("by=") && action == Action.REORDER) {
            reorderBy = (int) number(w, "by=", 1, 1000);
        } else if (w.startsWith("max=") && action == Action.REORDER) {
            reorderMaxNanos = duration(w.substring("max=".length()), "max");
        } else {
            throw error("'" + w + "' is not an option of " + FaultRule.word(action) + " (every=N, p=P, once, nth=K,"
                    + " fresh-only, seed=N" + switch (action) {
                        case DELAY -> ", jitter=DURATION";
                        case REORDER -> ", by=N, max=DURATION";
                        default -> "";
                    } + ")");
        }
    }

    private void select(Selection s, long count, String word) {
        if (selection != Selection.ALL) {
            throw error("'" + word + "': a rule takes one of every=N, p=P, once, nth=K");
        }
        selection = s;
        n = count;
    }

    private long number(String word, String prefix, long min, long max) {
        try {
            long v = Long.parseLong(word.substring(prefix.length()));
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw error("'" + word + "': " + prefix.substring(0, prefix.length() - 1) + " must be a number " + min + ".."
                + max);
    }

    long duration(String word, String what) {
        Matcher m = DURATION.matcher(word);
        if (!m.matches()) {
            throw error(what + " takes a duration like 300us, 20ms or 1s, got '" + word + "'");
        }
        long unit = switch (m.group(2)) {
            case "us" -> 1000L;
            case "ms" -> 1_000_000L;
            default -> 1_000_000_000L;
        };
        long nanos = Long.parseLong(m.group(1)) * unit;
        if (nanos <= 0 || nanos > 60_000_000_000L) {
            throw error(what + " must be above 0 and at most 60s, got '" + word + "'");
        }
        return nanos;
    }

    /** Refuses combinations no segment of the stack or of Linux can satisfy. */
    void checkCanMatch() {
        if (anyWord && (!endpointWords.isEmpty() || !kinds.isEmpty() || flagsWord != null || seqFrom >= 0)) {
            throw error("'any' stands alone: it is the MATCH that names nothing");
        }
        int both = mustSet & mustClear;
        if (both != 0) {
            throw never(TcpView.flagString(both) + " would have to be both set and clear");
        }
        if ((mustSet & TcpView.SYN) != 0 && (mustSet & (TcpView.RST | TcpView.FIN)) != 0) {
            throw never("neither the stack nor Linux sends SYN together with " + ((mustSet & TcpView.RST) != 0
                    ? "RST" : "FIN"));
        }
        if ((mustSet & TcpView.RST) != 0 && Boolean.TRUE.equals(data)) {
            throw never("neither the stack nor Linux puts data in an RST");
        }
        if (seqFrom >= 0) {
            boolean noSpace = Boolean.FALSE.equals(data) && (mustSet & (TcpView.SYN | TcpView.FIN)) == 0;
            if (noSpace || (mustSet & TcpView.RST) != 0) {
                throw never("seq=" + seqFrom + "-" + seqTo + " needs segments that occupy sequence space (data, SYN"
                        + " or FIN); " + String.join(" ", kinds) + " occupy none");
            }
            if ((mustSet & TcpView.SYN) != 0 && seqFrom > 0) {
                throw never("a SYN occupies only sequence 0, outside seq=" + seqFrom + "-" + seqTo);
            }
            if (Boolean.TRUE.equals(data) && seqTo <= 1) {
                throw never("data starts at sequence 1 (0 is the SYN), outside seq=" + seqFrom + "-" + seqTo);
            }
        }
    }
}
