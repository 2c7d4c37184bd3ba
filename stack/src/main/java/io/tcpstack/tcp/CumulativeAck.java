package io.tcpstack.tcp;

/**
 * What a cumulative ACK does to the retransmit queue (Linux tcp_input.c tcp_clean_rtx_queue): the
 * segments wholly below snd.una leave it, each counted delivered once, giving RTT samples by
 * Karn's rule (RFC 6298 3) and samples for RACK (RFC 8985); a hole filled by a segment never
 * retransmitted shows reordering. Runs under the Tcb lock.
 */
final class CumulativeAck {
    private CumulativeAck() {}

    /** Takes the acknowledged records off the queue: counts, RTT samples, RACK; returns TcpAck.FLAG_* bits. */
    static int cleanRtxQueue(Tcb tcb, Segment seg, int priorFack) {
        TcpAck.State st = tcb.ackState;
        RetransmitQueue q = tcb.rtx;
        int ack = tcb.sndUna;
        long now = tcb.ackNanos;
        long firstAckt = -1;
        long lastAckt = -1;
        int reord = tcb.sndNxt;
        int acked = 0;
        int flag = 0;
        int priorSacked = q.sackedOut();
        while (!q.isEmpty()) {
            int slot = q.slot(0);
            int start = q.start(slot);
            if (SeqNum.gt(q.end(slot), ack)) {
                if (SeqNum.gt(ack, start)) {
                    q.trimHead(ack); // part of a segment: it stays until all of it is acknowledged
                }
                break;
            }
            int marks = q.marks(slot);
            long sent = q.sentNanos(slot);
            if ((marks & RetransmitQueue.RETRANS) != 0) {
                flag |= TcpAck.FLAG_RETRANS_DATA_ACKED;
            } else if ((marks & RetransmitQueue.SACKED) == 0) {
                lastAckt = sent;
                if (firstAckt < 0) {
                    firstAckt = sent;
                }
                if (SeqNum.lt(start, reord)) {
                    reord = start;
                }
                if (!SeqNum.gt(q.end(slot), tcb.highSeq)) {
                    flag |= TcpAck.FLAG_ORIG_SACK_ACKED;
                }
            }
            if ((marks & RetransmitQueue.SACKED) == 0) {
                DeliveryRate.noteDelivered(tcb, slot, st);
                if (tcb.sackOk) {
                    tcb.delivered++;
                    if (!spuriousRetransmission(tcb, seg, marks, sent)) {
                        tcb.rack.advance((marks & RetransmitQueue.RETRANS) != 0, q.end(slot), sent, now, tcb.minRttMicros);
                    }
                }
            }
            q.removeHead();
            acked++;
            flag |= TcpAck.FLAG_DATA_ACKED;
        }
        long seqRtt = firstAckt >= 0 && (flag & TcpAck.FLAG_RETRANS_DATA_ACKED) == 0 ? (now - firstAckt) / 1000 : -1;
        long caRtt = lastAckt >= 0 && seqRtt >= 0 ? (now - lastAckt) / 1000 : -1;
        long sackRtt = -1;
        if (st.firstSackNanos >= 0) {
            sackRtt = (now - st.firstSackNanos) / 1000;
            caRtt = (now - st.lastSackNanos) / 1000;
        }
        boolean rttUpdated = RttSampling.updateRtt(tcb, seg, flag, seqRtt, sackRtt, caRtt);
        if ((flag & TcpAck.FLAG_ACKED) != 0) {
            flag |= TcpAck.FLAG_SET_XMIT_TIMER;
            if (!tcb.sackOk) {
                removeRenoSacks(tcb, acked);
                if ((flag & TcpAck.FLAG_RETRANS_DATA_ACKED) != 0) {
                    flag &= ~TcpAck.FLAG_ORIG_SACK_ACKED; // without SACK marks, progress cannot be credited to the original
                }
            } else if (SeqNum.lt(reord, priorFack)) {
                SackTagging.checkSackReordering(tcb, reord, false); // a hole never retransmitted filled: reordering
            }
        } else if (!q.isEmpty() && rttUpdated && sackRtt >= 0 && sackRtt > (now - q.sentNanos(q.slot(0))) / 1000) {
            flag |= TcpAck.FLAG_SET_XMIT_TIMER; // the SACK RTT is from data sent after the head: re-arm
        }
        if (acked > 0 || q.sackedOut() != priorSacked) {
            tcb.cc.pktsAcked(tcb.congestion(), acked, caRtt);
        }
        if (!q.isEmpty() && q.has(q.slot(0), RetransmitQueue.SACKED)) {
            flag |= TcpAck.FLAG_SACK_RENEGING;
        }
        return flag;
    }

    /**
     * Linux tcp_skb_spurious_retrans: a retransmitted segment whose ACK echoes a timestamp from
     * before that retransmission: the ACK is for the original, not a sample for RACK.
     */
    private static boolean spuriousRetransmission(Tcb tcb, Segment seg, int marks, long sentNanos) {
        return (marks & RetransmitQueue.RETRANS) != 0 && tcb.tsOk && seg.options.hasTimestamp
                && seg.options.tsEcr != 0 && SeqNum.lt(seg.options.tsEcr, tcb.tsValAt(sentNanos));
    }

    /** Linux tcp_remove_reno_sacks: one ACKed segment filled the hole, the rest took duplicate ACKs back. */
    private static void removeRenoSacks(Tcb tcb, int acked) {
        if (acked <= 0) {
            return;
        }
        int sacked = tcb.rtx.sackedOut();
        tcb.delivered += Math.max(acked - sacked, 1);
        tcb.rtx.setRenoSacked(acked - 1 >= sacked ? 0 : sacked - (acked - 1));
    }
}
