package io.tcpstack.tcp;

import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.wire.TcpView;

/**
 * The acknowledgement of an inbound segment (RFC 9293 3.10.7.4 fifth; Linux tcp_ack with
 * tcp_sacktag_write_queue and tcp_clean_rtx_queue): the send window, the SACK blocks (RFC 2018,
 * D-SACK RFC 2883) marked on the {@link RetransmitQueue} ({@link SackTagging}), the cumulatively
 * acknowledged segments taken off it ({@link CumulativeAck}), RTT samples ({@link RttSampling}),
 * the delivery rate ({@link DeliveryRate}), then {@link LossRecovery} for what the ACK says about
 * loss and the congestion window. Runs under the Tcb lock.
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

    private final TcpLayer layer;
    private final LossRecovery recovery;

    TcpAck(TcpLayer layer, LossRecovery recovery) {
        this.layer = layer;
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
                int sacked = SackTagging.sacktag(tcb, seg, priorSndUna); // may set bits in st.flag itself
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
            int sacked = SackTagging.sacktag(tcb, seg, priorSndUna); // may set bits in st.flag itself
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
        int cleaned = CumulativeAck.cleanRtxQueue(tcb, seg, priorFack);
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
        DeliveryRate.rateSample(tcb, delivered);
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
}
