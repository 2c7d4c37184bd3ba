package io.tcpstack.trace;

import io.tcpstack.trace.LadderModel.Row;
import io.tcpstack.wire.TcpView;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The numbers a {@link LadderModel} shows, as Wireshark's relative sequence numbers
 * (tcp.relative_sequence_numbers) give them: each direction relative to its initial sequence
 * number, per conversation, with a new SYN on the same 4-tuple starting a new conversation and
 * segments of the previous one still numbered against it; and the window scaled once both SYNs
 * offered a scale (RFC 7323 2.2).
 */
final class RelativeNumbering {
    private RelativeNumbering() {
    }

    /** Per conversation: the base of each direction (keyed by the sender's lane) and the window scales. */
    private static final class Conversation {
        final Map<Integer, Long> base = new HashMap<>();
        final Map<Integer, Boolean> fromSyn = new HashMap<>();
        final Map<Integer, Integer> offeredScale = new HashMap<>();
        Conversation previous;
    }

    /**
     * Whether a segment of a new connection's conversation only makes sense in the previous one: its
     * direction has no start in the new one yet, or its seq or ack would fall before the new start,
     * and the previous connection's numbers place it.
     */
    private static boolean belongsToPrevious(Conversation c, Row r) {
        SegmentText.Fields s = r.segment;
        Conversation p = c.previous;
        boolean seqFitsNew = c.base.containsKey(r.lane) && relative(s.seq(), c.base.get(r.lane)) >= 0;
        boolean ackFitsNew = !s.has(TcpView.ACK) || !c.base.containsKey(r.toLane)
                || relative(s.ack(), c.base.get(r.toLane)) >= 0;
        boolean seqFitsOld = p.base.containsKey(r.lane) && relative(s.seq(), p.base.get(r.lane)) >= 0;
        boolean ackFitsOld = !s.has(TcpView.ACK) || !p.base.containsKey(r.toLane)
                || relative(s.ack(), p.base.get(r.toLane)) >= 0;
        return !(seqFitsNew && ackFitsNew) && seqFitsOld && ackFitsOld;
    }

    /** A sequence number relative to {@code base}, or -1 if it would be "negative" (before the base). */
    private static long relative(int value, Long base) {
        long r = Integer.toUnsignedLong(value - base.intValue());
        return r >= 1L << 31 ? -1 : r;
    }

    /**
     * Numbers {@code rows}' segments: relative (or, {@code absolute}, absolute) seq, ack and SACK
     * blocks, the window scaled where the handshake told the scale, and each row's direction bases.
     */
    static void number(List<Row> rows, boolean absolute) {
        Map<String, Conversation> conversations = new HashMap<>();
        for (Row r : rows) {
            if (!r.isSegment()) {
                Conversation c = conversations.get(r.conversation);
                if (c != null) {
                    r.bases.putAll(c.base);
                    r.basesFromSyn.putAll(c.fromSyn);
                }
                continue;
            }
            SegmentText.Fields s = r.segment;
            Conversation c = conversations.computeIfAbsent(r.conversation, k -> new Conversation());
            boolean syn = s.has(TcpView.SYN);
            if (syn && !s.has(TcpView.ACK) && c.base.containsKey(r.lane) && c.base.get(r.lane).intValue() != s.seq()) {
                Conversation next = new Conversation(); // a new connection on the same 4-tuple
                next.previous = c;
                conversations.put(r.conversation, next);
                c = next;
            }
            if (syn) {
                c.base.put(r.lane, Integer.toUnsignedLong(s.seq()));
                c.offeredScale.put(r.lane, s.wscale());
                c.fromSyn.put(r.lane, true);
            }
            Conversation numbering = c;
            if (!absolute && !syn && c.previous != null && belongsToPrevious(c, r)) {
                numbering = c.previous; // a record (or a peer) still speaking for the old connection
                r.oldConversation = true;
            } else if (c.base.putIfAbsent(r.lane, Integer.toUnsignedLong(s.seq())) == null) {
                c.fromSyn.put(r.lane, false);
            }
            Long seqBase = absolute ? Long.valueOf(0) : numbering.base.get(r.lane);
            Long ackBase = absolute ? Long.valueOf(0) : numbering.base.get(r.toLane);
            r.relSeq = absolute ? Integer.toUnsignedLong(s.seq()) : Integer.toUnsignedLong(s.seq() - seqBase.intValue());
            if (s.has(TcpView.ACK)) {
                r.relAck = ackBase == null ? Integer.toUnsignedLong(s.ack())
                        : Integer.toUnsignedLong(s.ack() - ackBase.intValue());
            }
            int[] sack = s.sack();
            r.relSack = new long[sack.length];
            for (int i = 0; i < sack.length; i++) {
                r.relSack[i] = ackBase == null ? Integer.toUnsignedLong(sack[i])
                        : Integer.toUnsignedLong(sack[i] - ackBase.intValue());
            }
            Integer mine = numbering.offeredScale.get(r.lane);
            Integer theirs = numbering.offeredScale.get(r.toLane);
            // RFC 7323 2.2: scaling applies to both directions once both SYNs offered it; never to a SYN
            r.windowScaled = !syn && mine != null && theirs != null && mine >= 0 && theirs >= 0;
            r.window = r.windowScaled ? (long) s.window() << mine : s.window();
            r.bases.putAll(numbering.base);
            r.basesFromSyn.putAll(numbering.fromSyn);
        }
    }
}
