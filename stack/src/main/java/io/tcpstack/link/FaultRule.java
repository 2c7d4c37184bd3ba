package io.tcpstack.link;

import io.tcpstack.wire.EndpointFilter;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

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

    enum Selection {
        ALL, EVERY, PROBABILITY, ONCE, NTH
    }

    /** How a rule spells a direction or an action: its name in lower case. */
    static String word(Enum<?> e) {
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

    private FaultRule(FaultRuleBuilder b) {
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
        FaultRuleBuilder b = new FaultRuleBuilder(text);
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

    /** Why the rule can never match a segment of the stack at {@code localAddresses}, or null. */
    public String neverMatchesAt(List<IpAddress> localAddresses) {
        return endpoints.canBeLocal(localAddresses) ? null : "neither endpoint is the stack's address "
                + localAddresses.stream().map(IpAddress::toString).collect(java.util.stream.Collectors.joining(" or "));
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
}
