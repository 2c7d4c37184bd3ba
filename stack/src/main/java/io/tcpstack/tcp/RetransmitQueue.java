package io.tcpstack.tcp;

/**
 * What the sender has transmitted and not yet had cumulatively acknowledged, one record per
 * segment (Linux's tcp_rtx_queue of skbs, each with its TCPCB_* marks in tcp_skb_cb.sacked, and
 * the tsorted_sent_queue that RACK walks in order of last transmission). A record is one segment
 * of at most sndMss bytes (a super-packet sent by TSO gives one record per segment, all with the
 * same time), so SACK blocks from a receiver always fall on record boundaries, and every record
 * counts as one packet (Linux pcount 1).
 *
 * <p>The records are a ring in sequence order; a {@link TransmitOrder} threaded through the same
 * slots orders the records still in flight (neither SACKed nor waiting for a retransmission after
 * being marked lost) by transmission time. Counts are Linux's: packets_out, sacked_out, lost_out,
 * retrans_out; {@link #inFlight()} is tcp_packets_in_flight, RFC 6675's pipe in segments. Nothing
 * is allocated per segment once the ring has grown to the flight's size. Not thread-safe: under
 * the Tcb lock.
 */
final class RetransmitQueue {
    /** TCPCB_SACKED_ACKED: the receiver SACKed it. */
    static final int SACKED = 1;
    /** TCPCB_SACKED_RETRANS: retransmitted, and that copy is presumed in flight. */
    static final int RETRANS_IN_FLIGHT = 2;
    /** TCPCB_LOST: presumed lost (RACK, duplicate ACKs, the retransmission timer). */
    static final int LOST = 4;
    /** TCPCB_EVER_RETRANS: sent more than once (Karn: no RTT sample from it). */
    static final int EVER_RETRANS = 8;
    /** TCPCB_RETRANS. */
    static final int RETRANS = RETRANS_IN_FLIGHT | EVER_RETRANS;
    /** The record ends with our FIN (its last sequence number is the FIN's). */
    static final int FIN = 16;
    /** The record was sent with PSH (the last segment of what the application had written); a retransmission keeps it. */
    static final int PSH = 32;

    private int[] start = new int[16];
    private int[] end = new int[16];
    private long[] sentNanos = new long[16];
    private byte[] marks = new byte[16];
    /** Rate sampling (Linux tcp_rate_skb_sent): segments delivered, and when, as the record was (re)sent. */
    private long[] txDelivered = new long[16];
    private long[] txDeliveredNanos = new long[16];
    /** The records in flight by time of their last transmission. */
    private final TransmitOrder sentOrder = new TransmitOrder(16);
    private int head;
    private int count;

    private int sackedOut;
    private int lostOut;
    private int retransOut;
    /** End of the highest SACKed record (Linux tcp_highest_sack_seq), valid while sackedOut > 0. */
    private int highestSack;

    /** packets_out: records not cumulatively acknowledged. */
    int packetsOut() {
        return count;
    }

    int sackedOut() {
        return sackedOut;
    }

    int lostOut() {
        return lostOut;
    }

    int retransOut() {
        return retransOut;
    }

    /** tcp_left_out: SACKed plus lost. */
    int leftOut() {
        return sackedOut + lostOut;
    }

    /** tcp_packets_in_flight (RFC 6675 pipe, in segments): out - (sacked + lost) + retransmitted. */
    int inFlight() {
        return count - sackedOut - lostOut + retransOut;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Slot of the i-th record in sequence order (0: the oldest, at snd.una). */
    int slot(int i) {
        return (head + i) & (start.length - 1);
    }

    int start(int slot) {
        return start[slot];
    }

    int end(int slot) {
        return end[slot];
    }

    long sentNanos(int slot) {
        return sentNanos[slot];
    }

    long txDelivered(int slot) {
        return txDelivered[slot];
    }

    long txDeliveredNanos(int slot) {
        return txDeliveredNanos[slot];
    }

    int marks(int slot) {
        return marks[slot];
    }

    boolean has(int slot, int mark) {
        return (marks[slot] & mark) != 0;
    }

    /** Linux tcp_highest_sack_seq: past the highest SACKed record, or {@code sndUna} if none is SACKed. */
    int highestSack(int sndUna) {
        return sackedOut > 0 ? highestSack : sndUna;
    }

    /**
     * A segment [start, end) was sent for the first time at {@code nowNanos} with {@code flags}
     * ({@link #FIN}, {@link #PSH}), when {@code delivered} segments had been delivered, the last
     * at {@code deliveredNanos}.
     */
    void append(int from, int to, long nowNanos, int flags, long delivered, long deliveredNanos) {
        if (count == start.length) {
            grow();
        }
        int s = slot(count);
        start[s] = from;
        end[s] = to;
        sentNanos[s] = nowNanos;
        marks[s] = (byte) (flags & (FIN | PSH));
        txDelivered[s] = delivered;
        txDeliveredNanos[s] = deliveredNanos;
        count++;
        sentOrder.linkTail(s);
    }

    /**
     * The record in {@code slot} went out again at {@code nowNanos}: it moves to the end of the
     * time order. {@code inFlight}: a retransmission the loss accounting counts (tcp_retransmit_skb
     * marks TCPCB_SACKED_RETRANS); a tail loss probe is not (__tcp_retransmit_skb).
     */
    void sentAgain(int slot, long nowNanos, boolean inFlight, long delivered, long deliveredNanos) {
        int m = marks[slot] | EVER_RETRANS;
        if (inFlight && (m & RETRANS_IN_FLIGHT) == 0) {
            m |= RETRANS_IN_FLIGHT;
            retransOut++;
        }
        marks[slot] = (byte) m;
        sentNanos[slot] = nowNanos;
        txDelivered[slot] = delivered;
        txDeliveredNanos[slot] = deliveredNanos;
        sentOrder.unlink(slot);
        sentOrder.linkTail(slot);
    }

    /** What {@link #markLost} did. */
    enum LossMark {
        /** Already SACKed, or already lost and not retransmitted since. */
        NONE,
        /** Newly marked lost. */
        LOST,
        /** Its retransmission is lost too (TcpExtTCPLostRetransmit). */
        RETRANSMISSION_LOST
    }

    /** Linux tcp_mark_skb_lost: presumes the record lost; it leaves the time order until it is sent again. */
    LossMark markLost(int slot) {
        int m = marks[slot];
        if ((m & SACKED) != 0) {
            return LossMark.NONE;
        }
        sentOrder.unlink(slot);
        if ((m & LOST) != 0) {
            if ((m & RETRANS_IN_FLIGHT) == 0) {
                return LossMark.NONE;
            }
            marks[slot] = (byte) (m & ~RETRANS_IN_FLIGHT);
            retransOut--;
            return LossMark.RETRANSMISSION_LOST;
        }
        marks[slot] = (byte) (m | LOST);
        lostOut++;
        return LossMark.LOST;
    }

    /**
     * The receiver SACKed the record (the state changes of Linux tcp_sacktag_one): a lost one is
     * no longer lost, and its retransmission no longer counted in flight; a retransmission not
     * marked lost stays in flight. It leaves the time order.
     */
    void sacked(int slot) {
        int m = marks[slot];
        if ((m & LOST) != 0) {
            if ((m & RETRANS_IN_FLIGHT) != 0) {
                m &= ~RETRANS_IN_FLIGHT;
                retransOut--;
            }
            m &= ~LOST;
            lostOut--;
        }
        marks[slot] = (byte) (m | SACKED);
        sackedOut++;
        if (sackedOut == 1 || SeqNum.gt(end[slot], highestSack)) {
            highestSack = end[slot];
        }
        sentOrder.unlink(slot);
    }

    /** A D-SACK reported the retransmission in flight as a duplicate: it is not in flight any more. */
    void retransmissionDelivered(int slot) {
        if ((marks[slot] & RETRANS_IN_FLIGHT) != 0) {
            marks[slot] = (byte) (marks[slot] & ~RETRANS_IN_FLIGHT);
            retransOut--;
        }
    }

    /** Removes the oldest record (cumulatively acknowledged), undoing its counts. */
    void removeHead() {
        int s = head;
        int m = marks[s];
        if ((m & SACKED) != 0) {
            sackedOut--;
        }
        if ((m & LOST) != 0) {
            lostOut--;
        }
        if ((m & RETRANS_IN_FLIGHT) != 0) {
            retransOut--;
        }
        sentOrder.unlink(s);
        head = (head + 1) & (start.length - 1);
        count--;
    }

    /** A cumulative ACK ends inside the oldest record: it now starts at {@code ack} (Linux tcp_trim_head). */
    void trimHead(int ack) {
        start[head] = ack;
    }

    /** SACK reneging (the receiver dropped what it SACKed): every mark but EVER_RETRANS and FIN goes. */
    void clearSacked() {
        for (int i = 0; i < count; i++) {
            int s = slot(i);
            if ((marks[s] & SACKED) != 0) {
                marks[s] = (byte) (marks[s] & ~SACKED);
                sentOrder.linkTail(s);
            }
        }
        sackedOut = 0;
    }

    /**
     * Without SACK, sacked_out counts duplicate ACKs (Linux tcp_add_reno_sack and its kin): no
     * record is marked, the count only shapes {@link #inFlight()}.
     */
    void setRenoSacked(int duplicates) {
        sackedOut = duplicates;
    }

    /**
     * An undo (Linux tcp_undo_cwnd_reduction with unmark_loss): nothing is presumed lost any more.
     * Records lost and not retransmitted since go back in the time order, ahead of the rest (they
     * were sent before it).
     */
    void unmarkLost() {
        for (int i = count - 1; i >= 0; i--) {
            int s = slot(i);
            int m = marks[s];
            if ((m & LOST) != 0) {
                marks[s] = (byte) (m & ~LOST);
                if ((m & (RETRANS_IN_FLIGHT | SACKED)) == 0) {
                    sentOrder.linkHead(s);
                }
            }
        }
        lostOut = 0;
    }

    /** Index (in sequence order) of the first record ending after {@code seq}, or packetsOut if none. */
    int indexAfter(int seq) {
        int low = 0;
        int high = count;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (SeqNum.gt(end[slot(mid)], seq)) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low;
    }

    /** The records in flight by time of their last transmission (what RACK walks). */
    TransmitOrder sentOrder() {
        return sentOrder;
    }

    /** Doubles the ring; records move to slots 0..count-1 and the time links follow them. */
    private void grow() {
        int capacity = start.length;
        int mask = capacity - 1;
        sentOrder.grow(head, count);
        int[] s2 = new int[capacity * 2];
        int[] e2 = new int[capacity * 2];
        long[] t2 = new long[capacity * 2];
        byte[] m2 = new byte[capacity * 2];
        long[] d2 = new long[capacity * 2];
        long[] dt2 = new long[capacity * 2];
        for (int i = 0; i < count; i++) {
            int old = (head + i) & mask;
            s2[i] = start[old];
            e2[i] = end[old];
            t2[i] = sentNanos[old];
            m2[i] = marks[old];
            d2[i] = txDelivered[old];
            dt2[i] = txDeliveredNanos[old];
        }
        start = s2;
        end = e2;
        sentNanos = t2;
        marks = m2;
        txDelivered = d2;
        txDeliveredNanos = dt2;
        head = 0;
    }
}
