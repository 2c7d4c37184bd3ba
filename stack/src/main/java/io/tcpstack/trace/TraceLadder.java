package io.tcpstack.trace;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link LadderModel} from the traces of one or more stacks: each segment a stack sent
 * becomes an arrow, paired with its arrival at the other stack when that one is traced too (two
 * stacks on virtual time), so the arrow slopes with the delay and carries the receiver's verdict,
 * drop and variables. A peer that is not traced (the kernel behind the daemon's TUN device) gets a
 * lane too: what the stack sent to it, and what came from it, at the time the stack saw it.
 */
public final class TraceLadder {
    /** How a drop's note (a lesson's network) or FAULT event (a fault rule) names the segment: sent, received. */
    private static final List<String> FAULT_SENT = List.of(" dropped sent ", " dropped: out ");
    private static final List<String> FAULT_RECEIVED = List.of(" dropped received ", " dropped: in ");
    /** The text of the VARS event the stack emits once it processed a segment. */
    public static final String AFTER_SEGMENT = "after segment";

    /** One traced stack: its address, the label of its lane, and its events in order. */
    public record Host(String address, String label, List<TraceEvent> events) {
    }

    private final List<LadderModel.Lane> lanes = new ArrayList<>();
    private final Map<String, Integer> laneOf = new HashMap<>();
    private final List<LadderModel.Row> rows = new ArrayList<>();
    /** Segments sent to a traced lane and not yet seen there: by "receiver lane|conversation|segment text". */
    private final Map<String, Deque<LadderModel.Row>> inFlight = new HashMap<>();
    /** The last segment each lane received (a DROP right after its SEGMENT_IN is about that one). */
    private final Map<Integer, LadderModel.Row> lastReceived = new HashMap<>();
    /** The last row of each lane in each conversation (where its variables after processing belong). */
    private final Map<String, LadderModel.Row> lastRowOf = new HashMap<>();
    /** Events taken so far: the order of rows and arrivals that share an instant. */
    private long tick;

    private TraceLadder() {
    }

    /**
     * The ladder of {@code hosts}' events (lanes in the order given, untraced peers after them).
     *
     * @param absolute raw sequence numbers instead of relative ones
     */
    public static LadderModel build(String title, List<Host> hosts, boolean absolute) {
        TraceLadder b = new TraceLadder();
        record Tagged(int lane, int index, TraceEvent event) {
        }
        List<Tagged> all = new ArrayList<>();
        for (Host h : hosts) {
            int lane = b.lane(h.address(), h.label(), true);
            for (int i = 0; i < h.events().size(); i++) {
                all.add(new Tagged(lane, i, h.events().get(i)));
            }
        }
        all.sort(Comparator.comparingLong((Tagged t) -> t.event().nanos()).thenComparingInt(Tagged::lane)
                .thenComparingInt(Tagged::index));
        for (Tagged t : all) {
            b.add(t.lane(), t.event());
        }
        return new LadderModel(title, hosts.size() > 1 ? "the stacks' traces" : "the stack's trace", b.lanes,
                b.rows, absolute);
    }

    /**
     * The ladder of one stack's trace ({@code ctl trace -v}, a saved trace file): the stack's
     * address is the local end of the events' connections.
     */
    public static LadderModel fromTrace(String title, List<TraceEvent> events, boolean absolute) {
        String address = events.stream().filter(e -> !e.connection().equals("-")).findFirst()
                .map(e -> host(e.connection().split(" ")[0])).orElse("tcpstack");
        return build(title, List.of(new Host(address, "tcpstack " + address, events)), absolute);
    }

    private int lane(String address, String label, boolean traced) {
        Integer i = laneOf.get(address);
        if (i != null) {
            return i;
        }
        lanes.add(new LadderModel.Lane(address, label, traced));
        laneOf.put(address, lanes.size() - 1);
        return lanes.size() - 1;
    }

    private static String host(String endpoint) {
        return endpoint.substring(0, endpoint.lastIndexOf(':'));
    }

    private void add(int lane, TraceEvent e) {
        tick += 2;
        int before = rows.size();
        addEvent(lane, e);
        for (int i = before; i < rows.size(); i++) {
            rows.get(i).order = tick + 1;
        }
    }

    private void addEvent(int lane, TraceEvent e) {
        if (e.connection().equals("-")) {
            LadderModel.Row r = new LadderModel.Row(LadderModel.Kind.NOTE, e.nanos(), lane, -1, "-", null, e.text());
            r.rule = e.rule();
            rows.add(r);
            return;
        }
        String[] ends = e.connection().split(" ");
        int peer = lane(host(ends[1]), "peer " + host(ends[1]), false);
        String conversation = LadderModel.conversation(ends[0], ends[1]);
        switch (e.kind()) {
            case SEGMENT_OUT -> sent(lane, peer, conversation, e);
            case SEGMENT_IN -> received(lane, peer, conversation, e);
            case DROP -> dropped(lane, peer, conversation, e);
            case VARS -> {
                LadderModel.Row last = lastRowOf.get(lane + "|" + conversation);
                LadderModel.Row in = lastReceived.get(lane);
                if (e.vars() != null) {
                    if (last != null) {
                        last.vars.put(lane, e.vars());
                    }
                    // after a segment: what the receiver made of it belongs to its arrow too
                    if (in != null && in.conversation.equals(conversation) && e.text().equals(AFTER_SEGMENT)) {
                        in.vars.put(lane, e.vars());
                    }
                }
            }
            case NOTE, FAULT -> {
                if (!faultInjected(lane, peer, conversation, e)) {
                    local(LadderModel.Kind.NOTE, lane, peer, conversation, e);
                }
            }
            case STATE -> local(LadderModel.Kind.STATE, lane, peer, conversation, e);
            case TIMER -> local(LadderModel.Kind.TIMER, lane, peer, conversation, e);
        }
    }

    private void local(LadderModel.Kind kind, int lane, int peer, String conversation, TraceEvent e) {
        LadderModel.Row r = new LadderModel.Row(kind, e.nanos(), lane, peer, conversation, null, e.text());
        r.rule = e.rule();
        remember(r, lane, e);
        rows.add(r);
    }

    private void remember(LadderModel.Row r, int lane, TraceEvent e) {
        if (e.vars() != null) {
            r.vars.put(lane, e.vars());
        }
        lastRowOf.put(lane + "|" + r.conversation, r);
    }

    private void sent(int lane, int peer, String conversation, TraceEvent e) {
        SegmentText.Fields s = SegmentText.parse(e.text());
        if (s == null) {
            return;
        }
        LadderModel.Row r = new LadderModel.Row(LadderModel.Kind.SEGMENT, e.nanos(), lane, peer, conversation, s, null);
        r.rule = e.rule();
        int bracket = e.text().lastIndexOf(" [");
        if (bracket > 0 && e.text().endsWith("]")) {
            r.senderState = e.text().substring(bracket + 2, e.text().length() - 1);
        }
        if (lanes.get(peer).traced()) {
            r.fate = LadderModel.Fate.LOST; // until the receiver's trace shows it
            inFlight.computeIfAbsent(key(peer, conversation, s), k -> new ArrayDeque<>()).add(r);
        }
        remember(r, lane, e);
        rows.add(r);
    }

    private static String key(int receiver, String conversation, SegmentText.Fields s) {
        return receiver + "|" + conversation + "|" + s.text();
    }

    /** The row of a segment arriving at {@code lane}: the one a traced sender sent, or a new one. */
    private LadderModel.Row arriving(int lane, int peer, String conversation, SegmentText.Fields s, long nanos) {
        Deque<LadderModel.Row> q = inFlight.get(key(lane, conversation, s));
        LadderModel.Row r = q == null ? null : q.poll();
        if (r == null) {
            r = new LadderModel.Row(LadderModel.Kind.SEGMENT, nanos, peer, lane, conversation, s, null);
            rows.add(r);
        } else {
            r.fate = LadderModel.Fate.DELIVERED;
        }
        r.arriveNanos = nanos;
        r.arriveOrder = tick + 1;
        lastReceived.put(lane, r);
        lastRowOf.put(lane + "|" + conversation, r);
        return r;
    }

    private void received(int lane, int peer, String conversation, TraceEvent e) {
        SegmentText.Fields s = SegmentText.parse(e.text());
        if (s == null) {
            return;
        }
        LadderModel.Row r = arriving(lane, peer, conversation, s, e.nanos());
        // "q1 -> ESTAB" or "q0 -> TIME-WAIT record": the state it was processed in, then the queue
        String rest = e.text().substring(s.text().length()).trim();
        int arrow = rest.indexOf("-> ");
        String state = arrow < 0 ? rest : rest.substring(arrow + 3).replace(" record", " rec");
        r.verdict = arrow > 0 ? state + " " + rest.substring(0, arrow).trim() : state;
    }

    private void dropped(int lane, int peer, String conversation, TraceEvent e) {
        SegmentText.Fields s = SegmentText.parse(e.text());
        if (s == null) {
            return;
        }
        LadderModel.Row r = lastReceived.get(lane);
        if (r == null || r.dropReason != null || !r.segment.text().equals(s.text())) {
            r = arriving(lane, peer, conversation, s, e.nanos());
        }
        int at = e.text().indexOf("dropped: ");
        r.dropReason = at < 0 ? "?" : e.text().substring(at + 9).trim();
        r.dropRule = e.rule() != null ? e.rule() : r.dropReason;
    }

    /** A drop by a fault rule or a lesson's network: the segment it dropped becomes a lost arrow. */
    private boolean faultInjected(int lane, int peer, String conversation, TraceEvent e) {
        String text = e.text();
        int sent = endOf(text, FAULT_SENT);
        int received = endOf(text, FAULT_RECEIVED);
        if (sent < 0 && received < 0) {
            return false;
        }
        int segment = sent >= 0 ? sent : received;
        String by = (e.kind() == TraceEvent.Kind.FAULT ? "fault " : "")
                + text.substring(0, text.lastIndexOf(" dropped", segment));
        SegmentText.Fields s = SegmentText.parse(text.substring(segment));
        if (s == null) {
            return false;
        }
        LadderModel.Row r = null;
        if (sent >= 0) {
            for (int i = rows.size() - 1; i >= 0 && r == null; i--) {
                LadderModel.Row c = rows.get(i);
                if (c.isSegment() && c.lane == lane && c.conversation.equals(conversation)
                        && c.segment.text().equals(s.text())) {
                    r = c;
                }
            }
        }
        if (r == null) {
            r = sent >= 0 ? new LadderModel.Row(LadderModel.Kind.SEGMENT, e.nanos(), lane, peer, conversation, s, null)
                    : new LadderModel.Row(LadderModel.Kind.SEGMENT, e.nanos(), peer, lane, conversation, s, null);
            rows.add(r);
        }
        r.fate = LadderModel.Fate.LOST;
        r.lostBy = by;
        Deque<LadderModel.Row> q = inFlight.get(key(r.toLane, conversation, s));
        if (q != null) {
            q.remove(r);
        }
        return true;
    }

    /** Where the first of {@code marks} found in {@code text} ends, or -1. */
    private static int endOf(String text, List<String> marks) {
        for (String m : marks) {
            int at = text.indexOf(m);
            if (at >= 0) {
                return at + m.length();
            }
        }
        return -1;
    }
}
