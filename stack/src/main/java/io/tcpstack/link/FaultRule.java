package io.tcpstack.link;

import io.tcpstack.trace.SegmentText;
import io.tcpstack.wire.EndpointFilter;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One impairment rule of a {@link FaultInjectingLink}: which TCP segments it matches, what it
 * does to them, and which of the matches it picks. Written as words (the same for {@code
 * --fault}, a config line and {@code tcpstack ctl fault add}):
 *
 * <pre>
 * DIRECTION MATCH... ACTION [OPTION...]
 *   DIRECTION  in | out | both            (out: segments the stack sends)
 *   MATCH      any | ENDPOINT [ENDPOINT]  (ADDR:PORT, ADDR or :PORT, as ctl conns takes them)
 *              syn | fin | rst            (segments carrying that flag)
 *              ack                        (a pure ACK: no data, no SYN, FIN or RST)
 *              data | empty               (with or without payload)
 *              flags=FLAGS[/MASK]         (tcpdump letters S F R P U E W and . for ACK; FLAGS set,
 *                                          and with a MASK the other MASK flags clear, as pf writes it)
 *              seq=FROM-TO                (overlaps [FROM, TO) counted from the ISN: 0 is the SYN)
 *   ACTION     drop | delay DURATION [jitter=DURATION] | duplicate | reorder [by=N] [max=DURATION]
 *              | corrupt
 *   OPTION     every=N | p=P | once | nth=K   (which matches it acts on; default all)
 *              fresh-only                     (never a retransmission, judged at the link)
 *              seed=N                         (for p, jitter and corrupt; one is chosen otherwise)
 * </pre>
 *
 * Several MATCH terms must all hold. A rule that can never match is refused with the reason.
 * Counters ({@link #matched}, {@link #acted}) are per rule and thread-safe.
 */
public final class FaultRule {
    /** A short example for error messages. */
    static final String EXAMPLE = "e.g. out :80 data drop once fresh-only";
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(us|ms|s)");
    private static final Pattern RANGE = Pattern.compile("(\\d{1,10})-(\\d{1,10})");
    private static final int SYN_FIN_RST = TcpView.SYN | TcpView.FIN | TcpView.RST;

    /** Which way the segments go, seen from the stack. */
    public enum Direction {
        IN, OUT, BOTH;

        boolean includes(boolean out) {
            return this == BOTH || (this == OUT) == out;
        }
    }

    /** What a rule does to a segment it picks. */
    public enum Action {
        DROP("dropped"), DELAY("delayed"), DUPLICATE("duplicated"), REORDER("reordered"), CORRUPT("corrupted");

        private final String done;

        Action(String done) {
            this.done = done;
        }

        /** "dropped", for counts and trace lines. */
        public String done() {
            return done;
        }

        static Action of(String word) {
            for (Action a : values()) {
                if (word(a).equals(word)) {
                    return a;
                }
            }
            return null;
        }
    }

    private enum Selection {
        ALL, EVERY, PROBABILITY, ONCE, NTH
    }

    /** How a rule spells a direction or an action: its name in lower case. */
    private static String word(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    final Direction direction;
    private final List<String> endpointWords;
    private final EndpointFilter endpoints;
    private final List<String> kinds;
    /** Flags that must be set, and the flags looked at ((flags & mask) == set). */
    private final int flagsSet;
    private final int flagsMask;
    private final String flagsWord;
    private final Boolean data;
    private final long seqFrom;
    private final long seqTo;
    final boolean freshOnly;
    final Action action;
    final long delayNanos;
    final long jitterNanos;
    final int reorderBy;
    final long reorderMaxNanos;
    private final Selection selection;
    private final long n;
    private final double p;
    private final long seed;
    private final SplittableRandom random;
    private final AtomicLong matched = new AtomicLong();
    private final AtomicLong acted = new AtomicLong();
    private volatile int id;

    private FaultRule(Builder b) {
        direction = b.direction;
        endpointWords = List.copyOf(b.endpointWords);
        endpoints = EndpointFilter.parse(endpointWords);
        kinds = List.copyOf(b.kinds);
        flagsSet = b.mustSet;
        flagsMask = b.mustSet | b.mustClear;
        flagsWord = b.flagsWord;
        data = b.data;
        seqFrom = b.seqFrom;
        seqTo = b.seqTo;
        freshOnly = b.freshOnly;
        action = b.action;
        delayNanos = b.delayNanos;
        jitterNanos = b.jitterNanos;
        reorderBy = b.reorderBy;
        reorderMaxNanos = b.reorderMaxNanos;
        selection = b.selection;
        n = b.n;
        p = b.p;
        seed = b.seed != null ? b.seed : ThreadLocalRandom.current().nextLong(1L << 31);
        random = new SplittableRandom(seed);
    }

    /** Rules separated by ';' (the --fault flag and the config file): "out :80 drop p=0.1; in :9 ack drop once". */
    public static List<FaultRule> parseList(String text) {
        List<FaultRule> rules = new ArrayList<>();
        for (String one : text.split(";")) {
            if (!one.isBlank()) {
                rules.add(parse(one));
            }
        }
        return rules;
    }

    public static FaultRule parse(String text) {
        return parse(Arrays.stream(text.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList());
    }

    /** Parses the words of one rule; IllegalArgumentException saying what is wrong, or why it never matches. */
    public static FaultRule parse(List<String> words) {
        String text = String.join(" ", words);
        if (words.isEmpty()) {
            throw new IllegalArgumentException("a fault rule is DIRECTION MATCH ACTION [OPTIONS], " + EXAMPLE);
        }
        Builder b = new Builder(text);
        b.direction = switch (words.get(0)) {
            case "in" -> Direction.IN;
            case "out" -> Direction.OUT;
            case "both" -> Direction.BOTH;
            default -> throw b.error("DIRECTION must be in, out or both, got '" + words.get(0) + "'");
        };
        for (int i = 1; i < words.size(); i++) {
            String w = words.get(i);
            if (b.action == null) {
                Action a = Action.of(w);
                if (a != null) {
                    b.action = a;
                    if (a == Action.DELAY) {
                        if (i + 1 >= words.size()) {
                            throw b.error("delay needs a DURATION, e.g. delay 20ms");
                        }
                        b.delayNanos = b.duration(words.get(++i), "delay");
                    }
                } else {
                    b.matchTerm(w);
                }
            } else {
                b.option(w);
            }
        }
        if (b.action == null) {
            throw b.error("no ACTION (drop, delay, duplicate, reorder or corrupt), " + EXAMPLE);
        }
        b.checkCanMatch();
        return new FaultRule(b);
    }

    /** The rule's id in its link (0 before it is added). */
    public int id() {
        return id;
    }

    void setId(int id) {
        this.id = id;
    }

    public Action action() {
        return action;
    }

    /** Segments this rule matched (every one its selection looked at). */
    public long matched() {
        return matched.get();
    }

    /** Segments it acted on. */
    public long acted() {
        return acted.get();
    }

    /** Why the rule can never match a segment of the stack at {@code localAddress}, or null. */
    public String neverMatchesAt(int localAddress) {
        return endpoints.canBeLocal(localAddress) ? null
                : "neither endpoint is the stack's address " + Ipv4Address.format(localAddress);
    }

    /** Whether the rule needs the link's {@link FlowTable} (sequence ranges, fresh-only). */
    boolean needsFlows() {
        return freshOnly || seqFrom >= 0;
    }

    boolean matches(FaultPacket s) {
        if (!direction.includes(s.out) || (s.flags & flagsMask) != flagsSet
                || !endpoints.matches(s.localAddress, s.localPort, s.remoteAddress, s.remotePort)) {
            return false;
        }
        if (data != null && (s.payloadLength > 0) != data) {
            return false;
        }
        if (seqFrom >= 0) {
            long length = s.sequenceLength();
            if (s.relativeSeq < 0 || length == 0 || s.relativeSeq >= seqTo || s.relativeSeq + length <= seqFrom) {
                return false;
            }
        }
        return !(freshOnly && s.retransmission);
    }

    /** Counts a match and says whether this rule acts on it (every=N, p=P, once, nth=K). */
    boolean select() {
        long m = matched.incrementAndGet();
        boolean chosen = switch (selection) {
            case ALL -> true;
            case EVERY -> m % n == 0;
            case ONCE, NTH -> m == n;
            case PROBABILITY -> nextDouble() < p;
        };
        if (chosen) {
            acted.incrementAndGet();
        }
        return chosen;
    }

    private synchronized double nextDouble() {
        return random.nextDouble();
    }

    /** A seeded number in [0, bound). */
    synchronized long nextLong(long bound) {
        return random.nextLong(bound);
    }

    private boolean usesRandom() {
        return selection == Selection.PROBABILITY || jitterNanos > 0 || action == Action.CORRUPT;
    }

    /** The rule in canonical words, with its seed when it draws random numbers. */
    @Override
    public String toString() {
        List<String> w = new ArrayList<>();
        w.add(word(direction));
        w.addAll(endpointWords);
        w.addAll(kinds);
        if (flagsWord != null) {
            w.add("flags=" + flagsWord);
        }
        if (seqFrom >= 0) {
            w.add("seq=" + seqFrom + "-" + seqTo);
        }
        if (w.size() == 1) {
            w.add("any");
        }
        w.add(word(action));
        switch (action) {
            case DELAY -> {
                w.add(formatDuration(delayNanos));
                if (jitterNanos > 0) {
                    w.add("jitter=" + formatDuration(jitterNanos));
                }
            }
            case REORDER -> {
                w.add("by=" + reorderBy);
                w.add("max=" + formatDuration(reorderMaxNanos));
            }
            default -> {
            }
        }
        switch (selection) {
            case EVERY -> w.add("every=" + n);
            case PROBABILITY -> w.add("p=" + p);
            case ONCE -> w.add("once");
            case NTH -> w.add("nth=" + n);
            case ALL -> {
            }
        }
        if (freshOnly) {
            w.add("fresh-only");
        }
        if (usesRandom()) {
            w.add("seed=" + seed);
        }
        return String.join(" ", w);
    }

    static String formatDuration(long nanos) {
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        return nanos % 1_000_000 == 0 ? nanos / 1_000_000 + "ms" : nanos / 1000 + "us";
    }

    /** The words as they are parsed; checked for contradictions before a rule is made. */
    private static final class Builder {
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

        Builder(String text) {
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
                Ipv4Address.parse(w);
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
                throw error("'" + w + "' is not an option of " + word(action) + " (every=N, p=P, once, nth=K,"
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
}
