package io.tcpstack.tcp;

/**
 * RACK (RFC 8985, Linux net/ipv4/tcp_recovery.c): a segment is lost when a segment sent after it
 * has been delivered and more than an RTT plus a reordering window has passed since it was sent.
 * Time, not a count of duplicate ACKs, decides, so reordering within the window costs no
 * retransmission, and a retransmission that is lost again is detected as any other segment.
 * The reordering window adapts: it grows by min_rtt/4 per round in which a D-SACK shows a
 * retransmission was spurious, and falls back after 16 recoveries without one.
 */
final class Rack {
    /** TCP_RACK_RECOVERY_THRESH: recoveries a widened window persists for. */
    static final int RECOVERY_THRESH = 16;

    /** RACK.xmit_ts: send time of the most recently sent segment that was delivered (ns). */
    long mstampNanos;
    /** RACK.end_seq: its end, to order segments sent at the same time. */
    int endSeq;
    /** RACK.rtt: the RTT of that segment (us). */
    long rttMicros;
    /** mstamp moved since the last loss detection: detection must run. */
    boolean advanced;
    /** Reordering window in units of min_rtt/4 (Linux rack.reo_wnd_steps). */
    int reoWndSteps = 1;
    /** Recoveries the current window persists for (reo_wnd_persist). */
    int reoWndPersist;
    /** A D-SACK arrived since the window was last widened (dsack_seen). */
    boolean dsackSeen;
    /** tp->delivered when the window was last widened: at most once per round trip. */
    long lastDelivered;

    /** Linux tcp_rack_sent_after: sent later, or at the same time and ending later. */
    static boolean sentAfter(long t1, long t2, int seq1, int seq2) {
        return t1 > t2 || (t1 == t2 && SeqNum.gt(seq1, seq2));
    }

    /**
     * Linux tcp_rack_advance (RFC 8985 6.2 step 2): a segment sent at {@code sentNanos} and ending
     * at {@code end} was (S)ACKed now. A retransmitted one whose RTT is below min_rtt is ambiguous
     * (the original may have been delivered) and is not used.
     */
    void advance(boolean everRetransmitted, int end, long sentNanos, long nowNanos, long minRttMicros) {
        long rtt = (nowNanos - sentNanos) / 1000;
        if (everRetransmitted && rtt < minRttMicros) {
            return;
        }
        advanced = true;
        rttMicros = rtt;
        if (sentAfter(sentNanos, mstampNanos, end, endSeq)) {
            mstampNanos = sentNanos;
            endSeq = end;
        }
    }

    /**
     * Linux tcp_rack_reo_wnd (RFC 8985 6.2 step 4): without reordering seen, none during recovery
     * or once as many segments as the duplicate-ACK threshold are SACKed (the fast recovery of
     * RFC 5681); otherwise min_rtt/4 per step, at most SRTT.
     */
    long reoWndMicros(boolean reorderingSeen, boolean inRecovery, int sackedOut, int reordering, long minRttMicros,
            long srttMicros) {
        if (!reorderingSeen && (inRecovery || sackedOut >= reordering)) {
            return 0;
        }
        return Math.min((minRttMicros >> 2) * reoWndSteps, srttMicros);
    }

    /**
     * Linux tcp_rack_detect_loss (RFC 8985 6.2 step 5): walks the segments in flight in the order
     * they were sent, up to the most recent one delivered, and marks lost each whose RTT plus the
     * reordering window has passed. Returns the longest time (us) still to wait for one that has
     * not passed yet, 0 if none.
     */
    long detectLoss(Tcb tcb, long nowNanos, long reoWndMicros, LossMarker marker) {
        RetransmitQueue q = tcb.rtx;
        long wait = 0;
        TransmitOrder order = q.sentOrder();
        int slot = order.oldest();
        while (slot >= 0) {
            int next = order.after(slot);
            if (!sentAfter(mstampNanos, q.sentNanos(slot), endSeq, q.end(slot))) {
                break;
            }
            long remaining = rttMicros + reoWndMicros - (nowNanos - q.sentNanos(slot)) / 1000;
            if (remaining <= 0) {
                marker.markLost(tcb, slot);
            } else {
                wait = Math.max(wait, remaining);
            }
            slot = next;
        }
        return wait;
    }

    /**
     * Linux tcp_rack_update_reo_wnd: a D-SACK seen in a round that began after the last widening
     * widens the window one step (for 16 recoveries); otherwise, once those have passed, it is
     * back to one step.
     */
    void updateReoWnd(long priorDelivered, long delivered) {
        if (priorDelivered == 0) {
            return;
        }
        if (priorDelivered < lastDelivered) {
            dsackSeen = false; // a round trip has not passed since the last widening
        }
        if (dsackSeen) {
            reoWndSteps = Math.min(0xff, reoWndSteps + 1);
            dsackSeen = false;
            lastDelivered = delivered;
            reoWndPersist = RECOVERY_THRESH;
        } else if (reoWndPersist == 0) {
            reoWndSteps = 1;
        }
    }

    /** Marks a segment lost and does the accounting that goes with it. */
    @FunctionalInterface
    interface LossMarker {
        void markLost(Tcb tcb, int slot);
    }
}
