package io.tcpstack.tcp;

import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.TcpView;

/**
 * The acknowledgement of an inbound segment (RFC 9293 3.10.7.4 fifth; Linux tcp_ack with
 * tcp_sacktag_write_queue and tcp_clean_rtx_queue): the send window, the SACK blocks (RFC 2018,
 * D-SACK RFC 2883) marked on the {@link RetransmitQueue}, the cumulatively acknowledged segments
 * taken off it, RTT samples (per segment, Karn's rule), then {@link LossRecovery} for what the ACK
 * says about loss and the congestion window. Runs under the Tcb lock.
 */
final class TcpAck {
    // Linux tcp_input.c FLAG_*: what an ACK did
    static final int FLAG_DATA = 0x01;
    static final int FLAG_WIN_UPDATE = 0x02;
    static final int FLAG_DATA_ACKED = 0x04;
    static final int FLAG_RETRANS_DATA_ACKED = 0x08;
    static final int FLAG_SYN_ACKED = 0x10;
    static final int FLAG_DATA_SACKED = 0x20;
    static final int FLAG_ECE = 0x40;
    static final int FLAG_LOST_RETRANS = 0x80;
    static final int FLAG_ORIG_SACK_ACKED = 0x200;
    static final int FLAG_SND_UNA_ADVANCED = 0x400;
    static final int FLAG_DSACKING_ACK = 0x800;
    static final int FLAG_SET_XMIT_TIMER = 0x1000;
    static final int FLAG_SACK_RENEGING = 0x2000;
    static final int FLAG_DSACK_TLP = 0x20000;
    static final int FLAG_ACKED = FLAG_DATA_ACKED | FLAG_SYN_ACKED;
    static final int FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED;
    static final int FLAG_CA_ALERT = FLAG_DATA_SACKED | FLAG_ECE | FLAG_DSACKING_ACK;
    static final int FLAG_FORWARD_PROGRESS = FLAG_ACKED | FLAG_DATA_SACKED;

    /** Linux sysctl_tcp_min_rtt_wlen: the window of the minimum RTT filter. */
    private static final long MIN_RTT_WINDOW_MS = 300_000;

    private final TcpLayer layer;
    private final StackStats stats;
    private final LossRecovery recovery;

    TcpAck(TcpLayer layer, LossRecovery recovery) {
        this.layer = layer;
        this.stats = layer.stats();
        this.recovery = recovery;
    }

    /** What one ACK did, gathered while it is processed (Linux struct tcp_sacktag_state and the flag word). */
    static final class State {
        int flag;
        /** Lowest sequence number delivered out of order (reordering evidence), or snd.nxt. */
        int reord;
        long firstSackNanos;
        long lastSackNanos;
        int sackDelivered;
        /** Rate sample: tx.delivered and send time of the most recently sent segment delivered by this ACK. */
        long priorDelivered;
        long priorSentNanos;
        long priorDeliveredNanos;
        /** Segments this ACK marked lost (Linux rs->losses). */
        int losses;
        /** Lost segments are to be retransmitted after the ACK (Linux REXMIT_LOST). */
        boolean rexmit;
        /** The ACK's TSecr, 0 without timestamps (Linux rx_opt.rcv_tsecr when saw_tstamp). */
        int tsEcr;

        void begin(int sndNxt) {
            flag = 0;
            reord = sndNxt;
            firstSackNanos = -1;
            lastSackNanos = -1;
            sackDelivered = 0;
            priorDelivered = 0;
            priorSentNanos = -1;
            priorDeliveredNanos = 0;
            losses = 0;
            rexmit = false;
            tsEcr = 0;
        }
    }

    /**
     * Processes the ACK field of {@code seg} (Linux tcp_ack). Returns false when the segment must
     * be dropped (it acknowledges too old or never-sent data).
     */
    boolean process(Tcb tcb, Segment seg) {
        int ack = seg.ack;
        int priorSndUna = tcb.sndUna;
        State st = tcb.ackState;
        st.begin(tcb.sndNxt);
        if (tcb.tsOk && seg.options.hasTimestamp) {
            st.tsEcr = seg.options.tsEcr;
        }
        long priorLost = tcb.lostTotal;
        if (SeqNum.lt(ack, priorSndUna)) {
            if (SeqNum.lt(ack, priorSndUna - tcb.maxSndWnd)) {
                layer.input().challengeAck(tcb); // RFC 5961 5.2: blind data injection guard
                layer.states().drop(tcb, seg, DropReason.TCP_INVALID_ACK_SEQUENCE);
                return false;
            }
            // an old (reordered) ACK: its SACK blocks still count (Linux tcp_ack, old_ack)
            if (tcb.sackOk && seg.options.sackBlockCount > 0 && !tcb.rtx.isEmpty()) {
                long priorDelivered = tcb.delivered;
                int sacked = sacktag(tcb, seg, priorSndUna); // may set bits in st.flag itself
                st.flag |= sacked;
                recovery.fastRetransAlert(tcb, priorSndUna, 0, st);
                recovery.xmitRecovery(tcb, tcb.delivered - priorDelivered);
            }
            return true;
        }
        if (SeqNum.gt(ack, tcb.sndNxt)) {
            // acknowledges something not yet sent: "send an ACK, drop the segment"
            layer.input().sendOutOfWindowAck(tcb, seg, Counter.TcpExtTCPACKSkippedSeq);
            layer.states().drop(tcb, seg, DropReason.TCP_INVALID_ACK_SEQUENCE);
            return false;
        }
        if (seg.payloadLength > 0 || seg.has(TcpView.FIN)) {
            st.flag |= FLAG_DATA;
        }
        st.flag |= updateWindow(tcb, seg);
        if (Ecn.isEcnEcho(tcb, seg)) {
            st.flag |= FLAG_ECE; // Linux tcp_ecn_rcv_ecn_echo
        }
        if (SeqNum.gt(ack, priorSndUna)) {
            st.flag |= FLAG_SND_UNA_ADVANCED;
            tcb.retransmits = 0;
        }
        RetransmitQueue q = tcb.rtx;
        int priorFack = q.highestSack(priorSndUna);
        int priorPackets = q.packetsOut();
        long priorDelivered = tcb.delivered;
        tcb.ackNanos = layer.clock().nanos();
        acknowledgeBytes(tcb, priorSndUna, ack);
        if (tcb.sackOk && seg.options.sackBlockCount > 0) {
            int sacked = sacktag(tcb, seg, priorSndUna); // may set bits in st.flag itself
            st.flag |= sacked;
        }
        tcb.probesOut = 0;
        TcpTimers.onAckReceived(tcb);
        if (priorPackets == 0) {
            // nothing was in flight: a window update, or the ACK of our SYN (Linux no_queue)
            if ((st.flag & FLAG_DSACKING_ACK) != 0) {
                recovery.fastRetransAlert(tcb, priorSndUna, 0, st);
            }
            if (SeqNum.gt(ack, priorSndUna)) {
                TcpTimers.rearmRto(tcb);
            }
            if (tcb.tlpPending) {
                TailLossProbe.processAck(tcb, ack, st.flag);
            }
            return true;
        }
        int cleaned = cleanRtxQueue(tcb, seg, priorFack);
        st.flag |= cleaned;
        tcb.rack.updateReoWnd(st.priorDelivered, tcb.delivered);
        if (tcb.tlpPending) {
            TailLossProbe.processAck(tcb, ack, st.flag);
        }
        if (dubious(tcb, st.flag)) {
            int numDupack = (st.flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP | FLAG_DSACKING_ACK)) == 0 ? 1 : 0;
            recovery.fastRetransAlert(tcb, priorSndUna, numDupack, st);
        }
        if ((st.flag & FLAG_SET_XMIT_TIMER) != 0) {
            TailLossProbe.setXmitTimer(tcb);
        }
        long delivered = tcb.delivered - priorDelivered;
        st.losses = (int) (tcb.lostTotal - priorLost);
        rateSample(tcb, delivered);
        CwndReduction.congControl(tcb, (int) delivered, st.flag);
        recovery.xmitRecovery(tcb, delivered);
        Wakeups.wake(tcb); // send buffer space
        return true;
    }

    /** Linux tcp_ack_is_dubious: not a plain in-order ACK of new data, or not in the Open state. */
    private static boolean dubious(Tcb tcb, int flag) {
        return (flag & FLAG_NOT_DUP) == 0 || (flag & FLAG_CA_ALERT) != 0 || tcb.caState != io.tcpstack.tcp.congestion.CaState.OPEN;
    }

    /**
     * Linux tcp_ack_update_window with tcp_may_update_window. RFC 9293's SND.WL1/SND.WL2 rule
     * keeps a stale window when an ACK that advances SND.UNA rides on a retransmission (lower
     * SEG.SEQ), which moves the right edge past what the peer offered; Linux also takes the window
     * of any advancing ACK.
     */
    private static int updateWindow(Tcb tcb, Segment seg) {
        int window = seg.window << tcb.sndWscale;
        if (!mayUpdateWindow(tcb, seg.ack, seg.seq, window)) {
            return 0;
        }
        tcb.sndWnd = window;
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, window);
        tcb.sndWl1 = seg.seq;
        return FLAG_WIN_UPDATE;
    }

    static boolean mayUpdateWindow(Tcb tcb, int ack, int seq, int window) {
        return SeqNum.gt(ack, tcb.sndUna) || SeqNum.gt(seq, tcb.sndWl1)
                || (seq == tcb.sndWl1 && (window > tcb.sndWnd || window == 0));
    }

    /** snd.una moves to {@code ack}: the bytes it covers leave the send buffer; our FIN may be acknowledged. */
    private static void acknowledgeBytes(Tcb tcb, int priorSndUna, int ack) {
        int acked = ack - priorSndUna;
        if (acked <= 0) {
            return;
        }
        boolean finNowAcked = tcb.finSent && SeqNum.gt(ack, tcb.finSeq);
        boolean synNowAcked = !SeqNum.gt(priorSndUna, tcb.iss);
        int dataAcked = Math.min(acked - (finNowAcked ? 1 : 0) - (synNowAcked ? 1 : 0), tcb.sendBuffer.size());
        tcb.sendBuffer.discard(Math.max(dataAcked, 0));
        tcb.layer.memory().reclaim(tcb);
        tcb.bytesAcked += Math.max(dataAcked, 0);
        tcb.sndUna = ack;
        if (finNowAcked) {
            tcb.finAcked = true;
        }
    }

    // ---- SACK (RFC 2018, RFC 2883; Linux tcp_sacktag_write_queue)

    /** Marks what the SACK blocks of {@code seg} cover; returns the FLAG_* bits it found. */
    private int sacktag(Tcb tcb, Segment seg, int priorSndUna) {
        State st = tcb.ackState;
        int[] blocks = seg.options.sackBlocks;
        int n = seg.options.sackBlockCount;
        int flag = 0;
        boolean dsack = checkDsack(tcb, seg.ack, blocks, n, priorSndUna);
        if (dsack) {
            flag |= FLAG_DSACKING_ACK;
        }
        RetransmitQueue q = tcb.rtx;
        for (int b = 0; b < n; b++) {
            int start = blocks[2 * b];
            int end = blocks[2 * b + 1];
            boolean dup = dsack && b == 0;
            if (!sackBlockValid(tcb, dup, start, end)) {
                if (dup) {
                    stats.inc(tcb.undoArmed ? Counter.TcpExtTCPDSACKIgnoredOld : Counter.TcpExtTCPDSACKIgnoredNoUndo);
                } else if (seg.ack == tcb.sndUna || SeqNum.gt(end, tcb.sndUna)) {
                    stats.inc(Counter.TcpExtTCPSACKDiscard); // not an old block of a reordered ACK
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
    private boolean checkDsack(Tcb tcb, int ack, int[] blocks, int n, int priorSndUna) {
        int start0 = blocks[0];
        int end0 = blocks[1];
        if (SeqNum.lt(start0, ack)) {
            stats.inc(Counter.TcpExtTCPDSACKRecv);
        } else if (n > 1) {
            if (SeqNum.gt(end0, blocks[3]) || SeqNum.lt(start0, blocks[2])) {
                return false;
            }
            stats.inc(Counter.TcpExtTCPDSACKOfoRecv);
        } else {
            return false;
        }
        int dupSegs = dsackSeen(tcb, start0, end0);
        if (dupSegs == 0) {
            stats.inc(Counter.TcpExtTCPDSACKIgnoredDubious);
            return false;
        }
        stats.add(Counter.TcpExtTCPDSACKRecvSegs, dupSegs);
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
            tcb.ackState.flag |= FLAG_DSACK_TLP;
        }
        tcb.dsackDups += dupSegs;
        if (tcb.dsackDups > tcb.totalRetrans) {
            return 0;
        }
        if (tcb.reordSeen > 0 && (tcb.ackState.flag & FLAG_DSACK_TLP) == 0) {
            tcb.rack.dsackSeen = true;
        }
        tcb.ackState.sackDelivered += dupSegs; // a spurious retransmission was delivered
        tcb.delivered += dupSegs;
        return dupSegs;
    }

    /** Linux tcp_sacktag_one for a record wholly inside a SACK block. */
    private int sacktagOne(Tcb tcb, int slot, boolean dup, State st) {
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
                    flag |= FLAG_ORIG_SACK_ACKED;
                }
                if (st.firstSackNanos < 0) {
                    st.firstSackNanos = sent;
                }
                st.lastSackNanos = sent;
            }
            noteDelivered(tcb, slot, st);
            q.sacked(slot);
            flag |= FLAG_DATA_SACKED;
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
    void checkSackReordering(Tcb tcb, int lowSeq, boolean byTimestamp) {
        int fack = tcb.rtx.highestSack(tcb.sndUna);
        if (!SeqNum.lt(lowSeq, fack)) {
            return;
        }
        int metric = fack - lowSeq;
        int mss = tcb.sndMss;
        if (mss > 0 && metric > tcb.reordering * mss) {
            tcb.reordering = Math.min((metric + mss - 1) / mss, layer.settings().maxReordering);
        }
        tcb.reordSeen++;
        stats.inc(byTimestamp ? Counter.TcpExtTCPTSReorder : Counter.TcpExtTCPSACKReorder);
    }

    // ---- cumulative ACK (Linux tcp_clean_rtx_queue)

    /** Takes the acknowledged records off the queue: counts, RTT samples, RACK; returns FLAG_* bits. */
    private int cleanRtxQueue(Tcb tcb, Segment seg, int priorFack) {
        State st = tcb.ackState;
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
                flag |= FLAG_RETRANS_DATA_ACKED;
            } else if ((marks & RetransmitQueue.SACKED) == 0) {
                lastAckt = sent;
                if (firstAckt < 0) {
                    firstAckt = sent;
                }
                if (SeqNum.lt(start, reord)) {
                    reord = start;
                }
                if (!SeqNum.gt(q.end(slot), tcb.highSeq)) {
                    flag |= FLAG_ORIG_SACK_ACKED;
                }
            }
            if ((marks & RetransmitQueue.SACKED) == 0) {
                noteDelivered(tcb, slot, st);
                if (tcb.sackOk) {
                    tcb.delivered++;
                    if (!spuriousRetransmission(tcb, seg, marks, sent)) {
                        tcb.rack.advance((marks & RetransmitQueue.RETRANS) != 0, q.end(slot), sent, now, tcb.minRttMicros);
                    }
                }
            }
            q.removeHead();
            acked++;
            flag |= FLAG_DATA_ACKED;
        }
        long seqRtt = firstAckt >= 0 && (flag & FLAG_RETRANS_DATA_ACKED) == 0 ? (now - firstAckt) / 1000 : -1;
        long caRtt = lastAckt >= 0 && seqRtt >= 0 ? (now - lastAckt) / 1000 : -1;
        long sackRtt = -1;
        if (st.firstSackNanos >= 0) {
            sackRtt = (now - st.firstSackNanos) / 1000;
            caRtt = (now - st.lastSackNanos) / 1000;
        }
        boolean rttUpdated = updateRtt(tcb, seg, flag, seqRtt, sackRtt, caRtt);
        if ((flag & FLAG_ACKED) != 0) {
            flag |= FLAG_SET_XMIT_TIMER;
            if (!tcb.sackOk) {
                removeRenoSacks(tcb, acked);
                if ((flag & FLAG_RETRANS_DATA_ACKED) != 0) {
                    flag &= ~FLAG_ORIG_SACK_ACKED; // without SACK marks, progress cannot be credited to the original
                }
            } else if (SeqNum.lt(reord, priorFack)) {
                checkSackReordering(tcb, reord, false); // a hole never retransmitted filled: reordering
            }
        } else if (!q.isEmpty() && rttUpdated && sackRtt >= 0 && sackRtt > (now - q.sentNanos(q.slot(0))) / 1000) {
            flag |= FLAG_SET_XMIT_TIMER; // the SACK RTT is from data sent after the head: re-arm
        }
        if (acked > 0 || q.sackedOut() != priorSacked) {
            tcb.cc.pktsAcked(tcb.congestion(), acked, caRtt);
        }
        if (!q.isEmpty() && q.has(q.slot(0), RetransmitQueue.SACKED)) {
            flag |= FLAG_SACK_RENEGING;
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

    /** Rate sampling: the most recently sent of the segments this ACK delivered (Linux tcp_rate_skb_delivered). */
    private static void noteDelivered(Tcb tcb, int slot, State st) {
        RetransmitQueue q = tcb.rtx;
        long sent = q.sentNanos(slot);
        if (st.priorSentNanos < 0 || sent > st.priorSentNanos) {
            st.priorSentNanos = sent;
            st.priorDelivered = q.txDelivered(slot);
            st.priorDeliveredNanos = q.txDeliveredNanos(slot);
        }
    }

    /**
     * Linux tcp_rate_gen, reduced to what ss -ti shows: segments delivered since the newest
     * segment this ACK delivered was sent, over the time since the delivery before its sending.
     */
    private static void rateSample(Tcb tcb, long newlyDelivered) {
        State st = tcb.ackState;
        if (newlyDelivered > 0) {
            tcb.deliveredNanos = tcb.ackNanos;
        }
        if (st.priorSentNanos < 0 || st.priorDeliveredNanos == 0) {
            return;
        }
        long interval = Math.max(tcb.ackNanos - st.priorDeliveredNanos, tcb.ackNanos - st.priorSentNanos);
        long segments = tcb.delivered - st.priorDelivered;
        if (interval > 0 && segments > 0) {
            tcb.deliveryRateBps = segments * tcb.sndMss * 8L * 1_000_000_000L / interval;
        }
    }

    /**
     * Linux tcp_ack_update_rtt: prefers the RTT of a segment never retransmitted (Karn, RFC 6298
     * 3) measured from its send time, then a SACKed one, then the echoed timestamp (RFC 7323 4.1)
     * of an ACK that advanced snd.una. Updates the minimum RTT filter, SRTT and the RTO.
     */
    private boolean updateRtt(Tcb tcb, Segment seg, int flag, long seqRtt, long sackRtt, long caRtt) {
        if (seqRtt < 0) {
            seqRtt = sackRtt;
        }
        if (seqRtt < 0 && tcb.tsOk && seg.options.hasTimestamp && seg.options.tsEcr != 0 && (flag & FLAG_ACKED) != 0) {
            seqRtt = tcb.tsTicksToMicros(Math.max(1, tcb.tsVal() - seg.options.tsEcr));
            caRtt = seqRtt;
        }
        if (seqRtt < 0) {
            return false;
        }
        rttSample(tcb, seqRtt, caRtt);
        return true;
    }

    /** An RTT sample: the minimum RTT filter, SRTT and the RTO (RFC 6298 2), and the backoff ends. */
    void rttSample(Tcb tcb, long rttMicros, long caRttMicros) {
        updateMinRtt(tcb, Math.max(caRttMicros, 1));
        tcb.rtt.sample(rttMicros);
        tcb.cong.srttMicros = tcb.rtt.srttMicros();
    }

    /** Linux tcp_update_rtt_min: the minimum RTT over the last 300 s (a simplified windowed min). */
    private void updateMinRtt(Tcb tcb, long rttMicros) {
        long now = layer.nowMs();
        if (tcb.minRttMicros <= 0 || rttMicros <= tcb.minRttMicros || now - tcb.minRttStampMs > MIN_RTT_WINDOW_MS) {
            tcb.minRttMicros = rttMicros;
            tcb.minRttStampMs = now;
            tcb.cong.minRttMicros = rttMicros;
        }
    }
}
