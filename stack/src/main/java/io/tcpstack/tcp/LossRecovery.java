package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import io.tcpstack.tcp.congestion.CaState;
import io.tcpstack.trace.Rule;

/**
 * The sender's loss detection and recovery, as Linux does it (net/ipv4/tcp_input.c
 * tcp_fastretrans_alert and its helpers, tcp_recovery.c, tcp_output.c tcp_xmit_retransmit_queue):
 * which segments are lost (RACK, RFC 8985; NewReno's duplicate ACKs for peers without SACK, RFC
 * 6582), the states Open, Disorder, CWR and Recovery, and retransmission of what is lost. Its
 * parts: {@link CwndReduction} (PRR, RFC 6937), {@link RecoveryUndo} (undo of a reduction that
 * D-SACKs or timestamps show was spurious: RFC 2883, Eifel), {@link LossState} (after a
 * retransmission timeout) and {@link TailLossProbe} (RFC 8985 7). The congestion control
 * algorithm ({@link Tcb#cc}) is consulted at its events: where ssthresh falls, how cwnd grows,
 * what an undo restores. Runs under the Tcb lock.
 */
final class LossRecovery {
    /** TCP_TIMEOUT_MIN_US: added to the loss probe timeout, and to the reordering timer. */
    static final long TIMEOUT_MIN_MICROS = 2_000;

    private final TcpLayer layer;
    private final StackStats stats;

    LossRecovery(TcpLayer layer) {
        this.layer = layer;
        this.stats = layer.stats();
    }

    // ---- the state machine (Linux tcp_fastretrans_alert)

    /**
     * Runs for every ACK that is not a plain in-order acknowledgement, or outside the Open state:
     * leaves recovery when high_seq is acknowledged, undoes spurious reductions, detects loss and
     * enters Recovery when there is some. Sets {@link TcpAck.State#rexmit} when lost segments are
     * to be retransmitted.
     */
    void fastRetransAlert(Tcb tcb, int priorSndUna, int numDupack, TcpAck.State st) {
        RetransmitQueue q = tcb.rtx;
        int flag = st.flag;
        boolean eceAck = (flag & TcpAck.FLAG_ECE) != 0;
        if (q.isEmpty() && q.sackedOut() > 0) {
            q.setRenoSacked(0);
        }
        if (eceAck) {
            tcb.priorSsthresh = 0; // ECE: the reduction is required, no undo
        }
        if (checkSackReneging(tcb, st)) {
            return;
        }
        // D. state exit: everything sent before the reduction is acknowledged
        if (tcb.caState == CaState.OPEN) {
            tcb.retransStampMs = 0;
        } else if (!SeqNum.lt(tcb.sndUna, tcb.highSeq)) {
            if (tcb.caState == CaState.CWR) {
                // CWR holds until data above high_seq is acknowledged (the CWR bit reached the peer)
                if (tcb.sndUna != tcb.highSeq) {
                    CwndReduction.end(tcb);
                    setCaState(tcb, CaState.OPEN);
                }
            } else if (tcb.caState == CaState.RECOVERY) {
                if (!tcb.sackOk) {
                    q.setRenoSacked(0);
                }
                if (RecoveryUndo.tryUndoRecovery(tcb)) {
                    return;
                }
                CwndReduction.end(tcb);
            }
        }
        // E. process the state
        switch (tcb.caState) {
            case RECOVERY -> {
                if ((flag & TcpAck.FLAG_SND_UNA_ADVANCED) == 0) {
                    if (!tcb.sackOk) {
                        addRenoSack(tcb, numDupack);
                    }
                } else if (RecoveryUndo.tryUndoPartial(tcb, priorSndUna, st)) {
                    return;
                }
                if (RecoveryUndo.tryUndoDsack(tcb)) {
                    tryToOpen(tcb, flag);
                }
                identifyPacketLoss(tcb, st);
                if (tcb.caState != CaState.RECOVERY) {
                    if (!timeToRecover(tcb)) {
                        return;
                    }
                    enterRecovery(tcb, eceAck); // undo ended the recovery, yet there is a loss
                }
            }
            case LOSS -> {
                LossState.processLoss(tcb, flag, numDupack, st);
                identifyPacketLoss(tcb, st);
                if (!(tcb.caState == CaState.OPEN || (st.flag & TcpAck.FLAG_LOST_RETRANS) != 0)) {
                    return;
                }
                openOrEnterRecovery(tcb, numDupack, eceAck, st);
            }
            default -> openOrEnterRecovery(tcb, numDupack, eceAck, st);
        }
        if (tcb.caState == CaState.RECOVERY || tcb.caState == CaState.LOSS) {
            st.rexmit = true;
        }
    }

    /** The default branch of tcp_fastretrans_alert: Open, Disorder, CWR (and Loss left by undo). */
    private void openOrEnterRecovery(Tcb tcb, int numDupack, boolean eceAck, TcpAck.State st) {
        int flag = st.flag;
        if (!tcb.sackOk) {
            if ((flag & TcpAck.FLAG_SND_UNA_ADVANCED) != 0) {
                tcb.rtx.setRenoSacked(0);
            }
            addRenoSack(tcb, numDupack);
        }
        if (tcb.caState.ordinal() <= CaState.DISORDER.ordinal()) {
            RecoveryUndo.tryUndoDsack(tcb);
        }
        identifyPacketLoss(tcb, st);
        if (!timeToRecover(tcb)) {
            tryToOpen(tcb, flag);
            return;
        }
        enterRecovery(tcb, eceAck);
    }

    /** Linux tcp_time_to_recover: with RACK (and NewReno's marking) a loss is proven once a segment is marked lost. */
    private static boolean timeToRecover(Tcb tcb) {
        return tcb.rtx.lostOut() > 0;
    }

    /** Linux tcp_identify_packet_loss: NewReno for peers without SACK, RACK otherwise. */
    private void identifyPacketLoss(Tcb tcb, TcpAck.State st) {
        RetransmitQueue q = tcb.rtx;
        if (q.isEmpty()) {
            return;
        }
        if (!tcb.sackOk) {
            newRenoMarkLost(tcb, (st.flag & TcpAck.FLAG_SND_UNA_ADVANCED) != 0);
            return;
        }
        int priorRetrans = q.retransOut();
        if (rackMarkLost(tcb)) {
            st.flag &= ~TcpAck.FLAG_SET_XMIT_TIMER; // the reordering timer is armed
        }
        if (priorRetrans > q.retransOut()) {
            st.flag |= TcpAck.FLAG_LOST_RETRANS;
        }
    }

    /**
     * Linux tcp_newreno_mark_lost (RFC 6582): the head is lost after as many duplicate ACKs as the
     * reordering degree (3), and in recovery after every partial ACK.
     */
    private void newRenoMarkLost(Tcb tcb, boolean sndUnaAdvanced) {
        RetransmitQueue q = tcb.rtx;
        boolean beforeRecovery = tcb.caState.ordinal() < CaState.RECOVERY.ordinal();
        if ((beforeRecovery && q.sackedOut() >= tcb.reordering) || (tcb.caState == CaState.RECOVERY && sndUnaAdvanced)) {
            int head = q.slot(0);
            if (!q.has(head, RetransmitQueue.LOST)) {
                markLost(tcb, head);
            }
        }
    }

    /** Linux tcp_rack_mark_lost: detection when RACK's reference moved; arms the reordering timer if a segment must wait. */
    private boolean rackMarkLost(Tcb tcb) {
        if (!tcb.rack.advanced) {
            return false;
        }
        tcb.rack.advanced = false;
        long wait = rackDetectLoss(tcb);
        if (wait > 0) {
            TcpTimers.resetXmitTimer(tcb, Tcb.TimerKind.REO_TIMEOUT, wait + TIMEOUT_MIN_MICROS);
        }
        return wait > 0;
    }

    private long rackDetectLoss(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        long reoWnd = tcb.rack.reoWndMicros(tcb.reordSeen > 0, tcb.caState.ordinal() >= CaState.RECOVERY.ordinal(),
                q.sackedOut(), tcb.reordering, tcb.minRttMicros, tcb.rtt.srttMicros());
        return tcb.rack.detectLoss(tcb, layer.clock().nanos(), reoWnd, LossRecovery::markLost);
    }

    /** Linux tcp_mark_skb_lost, with its counters. */
    static void markLost(Tcb tcb, int slot) {
        switch (tcb.rtx.markLost(slot)) {
            case LOST -> tcb.lostTotal++;
            case RETRANSMISSION_LOST -> tcb.layer.stats().inc(Counter.TcpExtTCPLostRetransmit);
            case NONE -> {
            }
        }
    }

    /**
     * Linux tcp_rack_reo_timeout: the reordering window of a waiting segment has passed: mark what
     * is lost now, enter recovery if that is new, retransmit.
     */
    void reoTimeout(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        int priorInFlight = q.inFlight();
        rackDetectLoss(tcb);
        if (priorInFlight != q.inFlight()) {
            if (tcb.caState != CaState.RECOVERY) {
                enterRecovery(tcb, false);
                CwndReduction.prr(tcb, 1, 0, 0);
            }
            xmitRetransmitQueue(tcb);
        }
        if (tcb.retransmitKind != Tcb.TimerKind.RETRANSMIT) {
            TcpTimers.rearmRto(tcb);
        }
    }

    /** Linux tcp_enter_recovery: a loss is proven; remember what undo would restore, start PRR. */
    private void enterRecovery(Tcb tcb, boolean eceAck) {
        stats.inc(tcb.sackOk ? Counter.TcpExtTCPSackRecovery : Counter.TcpExtTCPRenoRecovery);
        tcb.priorSsthresh = 0;
        RecoveryUndo.init(tcb);
        if (!tcb.caState.inCwndReduction()) {
            if (!eceAck) {
                tcb.priorSsthresh = CwndReduction.currentSsthresh(tcb);
            }
            CwndReduction.init(tcb);
        }
        setCaState(tcb, CaState.RECOVERY);
    }

    /** Linux tcp_enter_cwr: a congestion signal without a loss (ECE): reduce cwnd by PRR, no undo. */
    void enterCwr(Tcb tcb) {
        tcb.priorSsthresh = 0;
        if (tcb.caState.ordinal() < CaState.CWR.ordinal()) {
            tcb.undoArmed = false;
            CwndReduction.init(tcb);
            setCaState(tcb, CaState.CWR);
        }
    }

    /** Linux tcp_try_to_open. */
    private void tryToOpen(Tcb tcb, int flag) {
        if (!anyRetransDone(tcb)) {
            tcb.retransStampMs = 0;
        }
        if ((flag & TcpAck.FLAG_ECE) != 0) {
            enterCwr(tcb);
        }
        if (tcb.caState != CaState.CWR) {
            tryKeepOpen(tcb);
        }
    }

    /** Linux tcp_try_keep_open: Disorder while anything is SACKed, lost or retransmitted, else Open. */
    static void tryKeepOpen(Tcb tcb) {
        CaState state = tcb.rtx.leftOut() > 0 || anyRetransDone(tcb) ? CaState.DISORDER : CaState.OPEN;
        if (tcb.caState != state) {
            setCaState(tcb, state);
            tcb.highSeq = tcb.sndNxt;
        }
    }

    /** Linux tcp_any_retrans_done. */
    static boolean anyRetransDone(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        return q.retransOut() > 0 || (!q.isEmpty() && q.has(q.slot(0), RetransmitQueue.EVER_RETRANS));
    }

    /** Linux tcp_set_ca_state: the algorithm hears of the new state. */
    static void setCaState(Tcb tcb, CaState state) {
        if (tcb.caState != state) {
            tcb.cc.setState(tcb.congestion(), state);
            tcb.layer.trace().note(tcb, Rule.CONGESTION_STATE, "congestion state " + tcb.caState.ssName() + " -> " + state.ssName());
            tcb.caState = state;
        }
    }

    /**
     * Linux tcp_check_sack_reneging: the cumulative ACK stops at a segment the peer had SACKed: it
     * dropped SACKed data. Retransmit from snd.una soon (a short RTO), forgetting the SACKs.
     */
    private boolean checkSackReneging(Tcb tcb, TcpAck.State st) {
        if ((st.flag & TcpAck.FLAG_SACK_RENEGING) != 0 && (st.flag & TcpAck.FLAG_SND_UNA_ADVANCED) != 0) {
            stats.inc(Counter.TcpExtTCPSACKReneging);
            long delay = Math.max(tcb.rtt.srttMicros() / 2, 10_000);
            TcpTimers.resetXmitTimer(tcb, Tcb.TimerKind.RETRANSMIT, delay);
            st.flag &= ~TcpAck.FLAG_SET_XMIT_TIMER;
            return true;
        }
        return false;
    }

    // ---- NewReno's duplicate-ACK accounting (no SACK: sacked_out counts duplicate ACKs)

    /** Linux tcp_add_reno_sack. */
    static void addRenoSack(Tcb tcb, int numDupack) {
        if (numDupack <= 0) {
            return;
        }
        RetransmitQueue q = tcb.rtx;
        int prior = q.sackedOut();
        q.setRenoSacked(prior + numDupack);
        checkRenoReordering(tcb);
        int delivered = q.sackedOut() - prior;
        if (delivered > 0) {
            tcb.delivered += delivered;
        }
    }

    /** Linux tcp_check_reno_reordering: more duplicate ACKs than holes can explain: reordering. */
    private static void checkRenoReordering(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        int holes = Math.min(Math.max(q.lostOut(), 1), q.packetsOut());
        if (q.sackedOut() + holes <= q.packetsOut()) {
            return;
        }
        q.setRenoSacked(q.packetsOut() - holes);
        tcb.reordering = Math.min(q.packetsOut(), tcb.layer.settings().maxReordering);
        tcb.reordSeen++;
        tcb.layer.stats().inc(Counter.TcpExtTCPRenoReorder);
    }

    // ---- retransmission (Linux tcp_xmit_recovery, tcp_xmit_retransmit_queue)

    /** Linux tcp_xmit_recovery: after the ACK, the lost segments go while cwnd has room. */
    void xmitRecovery(Tcb tcb, long delivered) {
        if (tcb.ackState.rexmit && tcb.state != TcpState.SYN_SENT) {
            xmitRetransmitQueue(tcb);
        }
    }

    /**
     * Linux tcp_xmit_retransmit_queue: retransmits the segments marked lost, oldest first, while
     * the flight is below cwnd (RFC 6675 NextSeg rule 1; new data is rule 2, the send loop's).
     */
    static void xmitRetransmitQueue(Tcb tcb) {
        TcpLayer layer = tcb.layer;
        RetransmitQueue q = tcb.rtx;
        boolean rearm = false;
        for (int i = 0; i < q.packetsOut(); i++) {
            if (tcb.cong.cwnd - q.inFlight() <= 0 || q.retransOut() >= q.lostOut()) {
                break;
            }
            int slot = q.slot(i);
            int marks = q.marks(slot);
            if ((marks & RetransmitQueue.LOST) == 0
                    || (marks & (RetransmitQueue.SACKED | RetransmitQueue.RETRANS_IN_FLIGHT)) != 0) {
                continue;
            }
            layer.trace().cause(tcb, tcb.caState == CaState.LOSS ? Rule.RTO_RETRANSMIT : Rule.FAST_RETRANSMIT);
            if (!DataTransmit.retransmit(tcb, slot, true)) {
                break;
            }
            layer.stats().inc(tcb.caState != CaState.LOSS ? Counter.TcpExtTCPFastRetrans : Counter.TcpExtTCPSlowStartRetrans);
            if (tcb.caState.inCwndReduction()) {
                tcb.prrOut++;
            }
            if (i == 0 && tcb.retransmitKind != Tcb.TimerKind.REO_TIMEOUT) {
                rearm = true;
            }
        }
        if (rearm) {
            TcpTimers.resetXmitTimer(tcb, Tcb.TimerKind.RETRANSMIT, tcb.rtt.rtoMicros());
        }
    }
}
