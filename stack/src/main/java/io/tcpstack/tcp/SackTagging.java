package io.tcpstack.tcp;

import io.tcpstack.stats.Counter;

/**
 * The SACK blocks of an ACK (RFC 2018; D-SACK, RFC 2883), as Linux tcp_input.c
 * tcp_sacktag_write_queue reads them: each valid block marks the segments it covers SACKed on the
 * {@link RetransmitQueue} and moves RACK's reference; a D-SACK counts against the retransmissions
 * that undo must see proven spurious; SACKs below the highest one show reordering. Runs under the
 * Tcb lock.
 */
final class SackTagging {
    private SackTagging() {}

    /** Marks what the SACK blocks of {@code seg} cover; returns the TcpAck.FLAG_* bits it found. */
    static int sacktag(Tcb tcb, Segment seg, int priorSndUna) {
        TcpAck.State st = tcb.ackState;
        int[] blocks = seg.options.sackBlocks;
        int n = seg.options.sackBlockCount;
        int flag = 0;
        boolean dsack = checkDsack(tcb, seg.ack, blocks, n, priorSndUna);
        if (dsack) {
            flag |= TcpAck.FLAG_DSACKING_ACK;
        }
        RetransmitQueue q = tcb.rtx;
        for (int b = 0; b < n; b++) {
            int start = blocks[2 * b];
            int end = blocks[2 * b + 1];
            boolean dup = dsack && b == 0;
            if (!sackBlockValid(tcb, dup, start, end)) {
                if (dup) {
                    tcb.layer.stats().inc(tcb.undoArmed ? Counter.TcpExtTCPDSACKIgnoredOld : Counter.TcpExtTCPDSACKIgnoredNoUndo);
                } else if (seg.ack == tcb.sndUna || SeqNum.gt(end, tcb.sndUna)) {
                    tcb.layer.stats().inc(Counter.TcpExtTCPSACKDiscard); // not an old block of a reordered ACK
                }
                continue;
            }
            for (int i = q.indexAfter(start); i < q.packetsOut(); i++) {
                int slot = q.slot(i);
                if (SeqNum.gt(q.end(slot), end)) {
                    break;
                }
                if (SeqNum.ge(q.start(slot), start)) {
                    flag |= sacktagOne(tcb, slot, dup, st);
                }
            }
        }
        if (SeqNum.lt(st.reord, tcb.sndNxt)) {
            checkSackReordering(tcb, st.reord, false);
        }
        return flag;
    }

    /** Linux tcp_is_sackblock_valid: within what was sent; a D-SACK below snd.una only back to the undo marker. */
    private static boolean sackBlockValid(Tcb tcb, boolean dsack, int start, int end) {
        if (SeqNum.gt(end, tcb.sndNxt) || !SeqNum.lt(start, end) || !SeqNum.lt(start, tcb.sndNxt)) {
            return false;
        }
        if (SeqNum.gt(start, tcb.sndUna)) {
            return true;
        }
        if (!dsack || !tcb.undoArmed || SeqNum.gt(end, tcb.sndUna)) {
            return false;
        }
        if (!SeqNum.lt(start, tcb.undoMarker)) {
            return true;
        }
        if (!SeqNum.gt(end, tcb.undoMarker)) {
            return false;
        }
        return !SeqNum.lt(start, end - tcb.maxSndWnd);
    }

    /**
     * Linux tcp_check_dsack (RFC 2883 4): the first block is a D-SACK when it lies below the
     * cumulative ACK, or inside the second block. A duplicate of data we retransmitted means the
     * retransmission was not needed: it counts towards undoing the cwnd reduction.
     */
    private static boolean checkDsack(Tcb tcb, int ack, int[] blocks, int n, int priorSndUna) {
        int start0 = blocks[0];
        int end0 = blocks[1];
        if (SeqNum.lt(start0, ack)) {
            tcb.layer.stats().inc(Counter.TcpExtTCPDSACKRecv);
        } else if (n > 1) {
            if (SeqNum.gt(end0, blocks[3]) || SeqNum.lt(start0, blocks[2])) {
                return false;
            }
            tcb.layer.stats().inc(Counter.TcpExtTCPDSACKOfoRecv);
        } else {
            return false;
        }
        int dupSegs = dsackSeen(tcb, start0, end0);
        if (dupSegs == 0) {
            tcb.layer.stats().inc(Counter.TcpExtTCPDSACKIgnoredDubious);
            return false;
        }
        tcb.layer.stats().add(Counter.TcpExtTCPDSACKRecvSegs, dupSegs);
        // D-SACK for data already acknowledged and forgotten: count it against the retransmissions
        if (tcb.undoArmed && tcb.undoRetrans > 0 && !SeqNum.gt(end0, priorSndUna) && SeqNum.gt(end0, tcb.undoMarker)) {
            tcb.undoRetrans = Math.max(0, tcb.undoRetrans - dupSegs);
        }
        return true;
    }

    /**
     * Linux tcp_dsack_seen: how many segments the D-SACK covers, 0 for a dubious one (wider than
     * any window, or more duplicates than we ever retransmitted). With reordering seen, it widens
     * RACK's reordering window, unless it only shows that a tail loss probe was not needed.
     */
    private static int dsackSeen(Tcb tcb, int start, int end) {
        if (!SeqNum.lt(start, end)) {
            return 0;
        }
        int length = end - start;
        if (length > tcb.maxSndWnd) {
            return 0;
        }
        int dupSegs = 1;
        if (length > tcb.sndMss) {
            dupSegs = (length + tcb.sndMss - 1) / tcb.sndMss;
        } else if (tcb.tlpPending && tcb.tlpHighSeq == end) {
            tcb.ackState.flag |= TcpAck.FLAG_DSACK_TLP;
        }
        tcb.dsackDups += dupSegs;
        if (tcb.dsackDups > tcb.totalRetrans) {
            return 0;
        }
        if (tcb.reordSeen > 0 && (tcb.ackState.flag & TcpAck.FLAG_DSACK_TLP) == 0) {
            tcb.rack.dsackSeen = true;
        }
        tcb.ackState.sackDelivered += dupSegs; // a spurious retransmission was delivered
        tcb.delivered += dupSegs;
        return dupSegs;
    }

    /** Linux tcp_sacktag_one for a record wholly inside a SACK block. */
    private static int sacktagOne(Tcb tcb, int slot, boolean dup, TcpAck.State st) {
        RetransmitQueue q = tcb.rtx;
        int marks = q.marks(slot);
        int start = q.start(slot);
        int end = q.end(slot);
        int flag = 0;
        if (dup && (marks & RetransmitQueue.RETRANS) != 0) {
            if (tcb.undoArmed && tcb.undoRetrans > 0 && SeqNum.gt(end, tcb.undoMarker)) {
                tcb.undoRetrans--;
            }
            if ((marks & RetransmitQueue.SACKED) != 0 && SeqNum.lt(start, st.reord)) {
                st.reord = start;
            }
        }
        if (!SeqNum.gt(end, tcb.sndUna)) {
            return 0; // cumulatively acknowledged: about to leave the queue
        }
        if ((marks & RetransmitQueue.SACKED) == 0) {
            long sent = q.sentNanos(slot);
            tcb.rack.advance((marks & RetransmitQueue.RETRANS) != 0, end, sent, tcb.ackNanos, tcb.minRttMicros);
            if ((marks & RetransmitQueue.RETRANS) == 0) {
                // a segment never retransmitted SACKed below the highest SACK: reordering
                if (SeqNum.lt(start, q.highestSack(tcb.sndUna)) && SeqNum.lt(start, st.reord)) {
                    st.reord = start;
                }
                if (!SeqNum.gt(end, tcb.highSeq)) {
                    flag |= TcpAck.FLAG_ORIG_SACK_ACKED;
                }
                if (st.firstSackNanos < 0) {
                    st.firstSackNanos = sent;
                }
                st.lastSackNanos = sent;
            }
            DeliveryRate.noteDelivered(tcb, slot, st);
            q.sacked(slot);
            flag |= TcpAck.FLAG_DATA_SACKED;
            st.sackDelivered++;
            tcb.delivered++;
        }
        if (dup) {
            q.retransmissionDelivered(slot);
        }
        return flag;
    }

    /**
     * Linux tcp_check_sack_reordering: data at {@code lowSeq} was delivered after data above it
     * (the highest SACK): the path reorders. The reordering degree (in segments) only grows.
     */
    static void checkSackReordering(Tcb tcb, int lowSeq, boolean byTimestamp) {
        int fack = tcb.rtx.highestSack(tcb.sndUna);
        if (!SeqNum.lt(lowSeq, fack)) {
            return;
        }
        int metric = fack - lowSeq;
        int mss = tcb.sndMss;
        if (mss > 0 && metric > tcb.reordering * mss) {
            tcb.reordering = Math.min((metric + mss - 1) / mss, tcb.layer.settings().maxReordering);
        }
        tcb.reordSeen++;
        tcb.layer.stats().inc(byTimestamp ? Counter.TcpExtTCPTSReorder : Counter.TcpExtTCPSACKReorder);
    }
}
