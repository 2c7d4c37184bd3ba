package io.tcpstack.trace;

import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a ladder diagram shows, whatever it was drawn from (a stack's trace, two stacks on virtual
 * time, a packet capture): hosts as lanes, and rows in time order: segments between lanes, and a
 * lane's state changes, timers, notes. {@link TextLadder}, {@link SvgLadder} and {@link
 * HtmlLadder} draw it.
 *
 * <p>Sequence numbers are shown relative to each direction's initial sequence number, as
 * Wireshark shows them (the SYN is 0, the first data byte 1; a direction whose SYN was not seen
 * starts at its first segment), unless the model is {@linkplain #absolute absolute}. A new SYN on
 * the same 4-tuple starts a new conversation; a segment that only makes sense in the previous one
 * (a record answering for an old connection) is numbered against that one and marked "old".
 */
public final class LadderModel {
    /** One host. {@code traced}: the stack ran there and told what it decided (verdicts, rules, variables). */
    public record Lane(String address, String label, boolean traced) {
    }

    public enum Kind {
        SEGMENT,
        STATE,
        TIMER,
        NOTE
    }

    /** What became of a segment. */
    public enum Fate {
        /** The receiver (traced) got it. */
        DELIVERED,
        /** It never reached the receiver: lost on the way, or dropped by an impairment rule. */
        LOST,
        /** Seen at one point only (a capture, or the traced end): its other end is not known. */
        SEEN
    }

    /** One line of the ladder. Segment fields are null/-1 for the other kinds. */
    public static final class Row {
        public final Kind kind;
        /** Segments: when sent (or seen); other rows: when it happened. Clock nanos. */
        public final long nanos;
        /** Segments: the sender's lane; other rows: the lane it happened on. */
        public final int lane;
        /** Segments: the receiver's lane; other rows: the other end of the conversation, or -1. */
        public final int toLane;
        /** "a:p b:p" with the lower endpoint first: the same for both directions. */
        public final String conversation;
        /** Segments: the fields as sent (absolute numbers). */
        public final SegmentText.Fields segment;
        /** State changes, timers, notes: what happened. */
        public final String text;
        /** When it arrived at a traced receiver (or, {@link #estimated}, would have); -1 when not known. */
        public long arriveNanos = -1;
        /** When it left its sender: {@link #nanos}, or earlier when only its arrival was seen ({@link #estimated}). */
        public long departNanos;
        /** The far end's time is estimated: half the handshake's round trip, where it was not seen. */
        public boolean estimated;
        /**
         * Where the row, and its arrival, happened among simultaneous events (the traces' order: what
         * a receiver did first); by default the rows' order.
         */
        long order = -1;
        long arriveOrder = -1;
        public Fate fate = Fate.SEEN;
        /** The rule: a segment's cause, a state change's, a timer's or note's ({@link Rule#explain}). */
        public String rule;
        /** The traced receiver's verdict: the state it processed the segment in, and the queue ("ESTAB q1"). */
        public String verdict;
        /** The traced receiver dropped it: the DropReason, and the rule name (usually the same). */
        public String dropReason;
        public String dropRule;
        /** Why the segment never arrived, for {@link Fate#LOST}. */
        public String lostBy;
        /** The sender's state as it sent the segment ("ESTAB"), when traced. */
        public String senderState;
        /** What the packets alone say about this segment (captures: retransmission, dup ACK...). */
        public final List<String> inferred = new ArrayList<>();
        /** The traced lanes' variables after this row (the receiver's: after it processed the segment). */
        public final Map<Integer, TraceEvent.Vars> vars = new HashMap<>();
        // filled by RelativeNumbering: relative (or absolute) numbers and the scaled window
        long relSeq;
        long relAck;
        long[] relSack = new long[0];
        long window;
        boolean windowScaled;
        boolean oldConversation;
        /** The conversation's direction bases at this row, by lane, and whether each came from a SYN. */
        final Map<Integer, Long> bases = new HashMap<>();
        final Map<Integer, Boolean> basesFromSyn = new HashMap<>();

        Row(Kind kind, long nanos, int lane, int toLane, String conversation, SegmentText.Fields segment, String text) {
            this.kind = kind;
            this.nanos = nanos;
            this.lane = lane;
            this.toLane = toLane;
            this.conversation = conversation;
            this.segment = segment;
            this.text = text;
            this.departNanos = nanos;
        }

        public boolean isSegment() {
            return kind == Kind.SEGMENT;
        }

        /** Where the segment starts on the time axis and where it ends (the same when only one end is known). */
        public long endNanos() {
            return arriveNanos >= 0 ? arriveNanos : nanos;
        }

        /** {@code S seq=0 ack=0 win=64240 len=0}, numbers as the model shows them. */
        public String label() {
            SegmentText.Fields s = segment;
            StringBuilder sb = new StringBuilder(TcpView.flagString(s.flags())).append(" seq=").append(relSeq);
            if (s.has(TcpView.ACK)) {
                sb.append(" ack=").append(relAck);
            }
            sb.append(" win=").append(window).append(" len=").append(s.length());
            if (oldConversation) {
                sb.append(" (old)");
            }
            return sb.toString();
        }

        /** The options worth reading: a SYN's offer, SACK blocks (relative); empty if none. */
        public String options() {
            SegmentText.Fields s = segment;
            List<String> o = new ArrayList<>();
            if (s.mss() > 0) {
                o.add("mss " + s.mss());
            }
            if (s.sackOk()) {
                o.add("sackOK");
            }
            if (s.tsVal() >= 0 && s.has(TcpView.SYN)) {
                o.add("TS val " + s.tsVal() + " ecr " + s.tsEcr());
            }
            if (s.wscale() >= 0) {
                o.add("wscale " + s.wscale());
            }
            if (relSack.length > 0) {
                StringBuilder sack = new StringBuilder("sack");
                for (int i = 0; i < relSack.length; i += 2) {
                    sack.append(' ').append(relSack[i]).append('-').append(relSack[i + 1]);
                }
                o.add(sack.toString());
            }
            return String.join(", ", o);
        }

        /** The window as the model shows it: scaled to bytes when the handshake told the scale. */
        public long window() {
            return window;
        }

        public boolean windowScaled() {
            return windowScaled;
        }
    }

    private final String title;
    private final List<Lane> lanes;
    private final List<Row> rows;
    private final boolean absolute;
    private final String source;

    LadderModel(String title, String source, List<Lane> lanes, List<Row> rows, boolean absolute) {
        this.title = title;
        this.source = source;
        this.lanes = List.copyOf(lanes);
        this.rows = List.copyOf(rows);
        this.absolute = absolute;
        for (int i = 0; i < this.rows.size(); i++) {
            Row r = this.rows.get(i);
            if (r.order < 0) {
                r.order = 2L * i + 1;
            }
        }
        RelativeNumbering.number(this.rows, absolute);
        estimateFarEnds();
    }

    public String title() {
        return title;
    }

    /** Where it was drawn from, in words ("the stack's trace", "a packet capture"...). */
    public String source() {
        return source;
    }

    public List<Lane> lanes() {
        return lanes;
    }

    public List<Row> rows() {
        return rows;
    }

    public boolean absolute() {
        return absolute;
    }

    /** Whether any lane was traced: verdicts, rules and variables come from the stack. */
    public boolean stackReasoning() {
        return lanes.stream().anyMatch(Lane::traced);
    }

    /** The time of the first row, the origin of every time shown. */
    public long startNanos() {
        return rows.isEmpty() ? 0 : rows.get(0).nanos;
    }

    /**
     * Where only one end of a segment was seen (a capture taken on one host, or the daemon's trace
     * of a kernel peer), places the other end half a round trip away, the round trip measured on
     * the handshake at the point of observation (SYN to SYN-ACK seen by the client, SYN-ACK to ACK
     * by the server), so that arrows slope as they would; such rows are marked {@link Row#estimated}.
     */
    private void estimateFarEnds() {
        Map<String, long[]> delays = new HashMap<>(); // conversation -> {observed lane, one-way nanos}
        Map<String, Row[]> handshakes = new HashMap<>();
        for (Row r : rows) {
            if (!r.isSegment()) {
                continue;
            }
            Row[] h = handshakes.computeIfAbsent(r.conversation, k -> new Row[3]);
            SegmentText.Fields s = r.segment;
            if (s.has(TcpView.SYN) && !s.has(TcpView.ACK)) {
                h[0] = r;
                h[1] = null;
                h[2] = null;
            } else if (s.has(TcpView.SYN) && h[0] != null && r.lane == h[0].toLane) {
                h[1] = r;
            } else if (h[1] != null && h[2] == null && r.lane == h[0].lane) {
                h[2] = r;
                long toServer = h[1].nanos - h[0].nanos;
                long toClient = h[2].nanos - h[1].nanos;
                boolean atClient = stackReasoning() ? lanes.get(h[0].lane).traced() : toServer >= toClient;
                delays.putIfAbsent(r.conversation, new long[] {atClient ? h[0].lane : h[1].lane,
                        Math.max((atClient ? toServer : toClient) / 2, 0)});
            }
        }
        for (Row r : rows) {
            long[] d = delays.get(r.conversation);
            if (!r.isSegment() || d == null || d[1] == 0 || r.fate != Fate.SEEN || r.arriveNanos >= 0) {
                continue;
            }
            r.estimated = true;
            if (r.lane == d[0]) {
                r.arriveNanos = r.nanos + d[1];
            } else {
                r.departNanos = r.nanos - d[1];
            }
        }
    }

    /**
     * A traced lane's variables with this model's numbering: snd.* relative to the lane's own
     * direction, rcv.nxt to its peer's (the bases of {@code row}'s conversation).
     */
    public Map<String, String> show(Row row, int lane, TraceEvent.Vars v) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("state", v.state());
        int peer = row.lane == lane ? row.toLane : row.lane;
        long mySeqBase = absolute ? 0 : base(row, lane, v.iss());
        long peerBase = absolute ? 0 : base(row, peer, v.irs());
        m.put("snd.una", Long.toString(Integer.toUnsignedLong(v.sndUna() - (int) mySeqBase)));
        m.put("snd.nxt", Long.toString(Integer.toUnsignedLong(v.sndNxt() - (int) mySeqBase)));
        m.put("rcv.nxt", Long.toString(Integer.toUnsignedLong(v.rcvNxt() - (int) peerBase)));
        m.put("snd.wnd", Integer.toString(v.sndWnd()));
        m.put("rcv.wnd", Integer.toString(v.rcvWnd()));
        if (v.cwnd() > 0) {
            m.put("cwnd", v.cwnd() + (v.mss() > 0 ? " x " + v.mss() + " B" : ""));
        }
        m.put("ssthresh", v.ssthresh() == Integer.MAX_VALUE || v.ssthresh() >= 0xffff ? "-" : Integer.toString(v.ssthresh()));
        StringBuilder timers = new StringBuilder();
        v.timerMap().forEach((name, ms) -> timers.append(timers.length() == 0 ? "" : ", ").append(name).append(' ')
                .append(formatMs(ms)));
        m.put("timers", timers.length() == 0 ? "none" : timers.toString());
        return m;
    }

    /**
     * The base the arrows of {@code row}'s conversation use for {@code lane}'s direction, so that
     * variables and arrows agree; the control block's own ISN ({@code isn}) where the arrows have
     * none yet, or only one of a previous connection on the same 4-tuple.
     */
    private static long base(Row row, int lane, int isn) {
        Long b = row.bases.get(lane);
        if (b == null || (Boolean.TRUE.equals(row.basesFromSyn.get(lane)) && b.intValue() != isn && isn != 0)) {
            return Integer.toUnsignedLong(isn);
        }
        return b;
    }

    /** Milliseconds as a person reads them: 200 ms, 1.5 s, 60 s. */
    public static String formatMs(double ms) {
        if (ms >= 10_000) {
            return String.format("%.0f s", ms / 1000);
        }
        if (ms >= 1000) {
            return String.format("%.1f s", ms / 1000);
        }
        return ms == Math.rint(ms) ? String.format("%.0f ms", ms) : String.format("%.1f ms", ms);
    }

    /** "a:p b:p" with the lower endpoint first. */
    static String conversation(String a, String b) {
        return a.compareTo(b) <= 0 ? a + " " + b : b + " " + a;
    }

    /** The lane's state at each row (state bands), from its STATE rows; null before the first. */
    public String[] statesOf(int lane) {
        String[] states = new String[rows.size()];
        String current = null;
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (r.kind == Kind.STATE && r.lane == lane) {
                int arrow = r.text.indexOf("-> ");
                current = arrow < 0 ? r.text : r.text.substring(arrow + 3).split(" ")[0];
            }
            states[i] = current;
        }
        return states;
    }
}
