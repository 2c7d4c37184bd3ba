package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import io.tcpstack.tcp.congestion.CaState;
import io.tcpstack.tcp.congestion.CongestionState;
import io.tcpstack.tcp.congestion.CwndEvent;
import io.tcpstack.trace.Rule;

/**
 * The sender's loss detection and recovery, as Linux does it (net/ipv4/tcp_input.c
 * tcp_fastretrans_alert and its helpers, tcp_recovery.c, tcp_output.c tcp_xmit_retransmit_queue
 * and the tail loss probe): which segments are lost (RACK, RFC 8985; NewReno's duplicate ACKs for
 * peers without SACK, RFC 6582), the states Open, Disorder, CWR, Recovery and Loss, retransmission
 * of what is lost, Proportional Rate Reduction of cwnd in recovery (RFC 6937), undo of a
 * reduction that D-SACKs or timestamps show was spurious (RFC 2883, Eifel), and the tail loss
 * probe (RFC 8985 7). The congestion control algorithm ({@link Tcb#cc}) is consulted at its
 * events: where ssthresh falls, how cwnd grows, what an undo restores. Runs under the Tcb lock.
 */
final class LossRecovery {
    /** TCP_TIMEOUT_MIN_US: added to the loss probe timeout, and to the reordering timer. */
    private static final long TIMEOUT_MIN_MICROS = 2_000;

    private final TcpLayer layer;
    private final StackStats stats;
    private final Rack.LossMarker marker = this::markLost;

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
                    endCwndReduction(tcb);
                    setCaState(tcb, CaState.OPEN);
                }
            } else if (tcb.caState == CaState.RECOVERY) {
                if (!tcb.sackOk) {
                    q.setRenoSacked(0);
                }
                if (tryUndoRecovery(tcb)) {
                    return;
                }
                endCwndReduction(tcb);
            }
        }
        // E. process the state
        switch (tcb.caState) {
            case RECOVERY -> {
                if ((flag & TcpAck.FLAG_SND_UNA_ADVANCED) == 0) {
                    if (!tcb.sackOk) {
                        addRenoSack(tcb, numDupack);
                    }
                } else if (tryUndoPartial(tcb, priorSndUna, st)) {
                    return;
                }
                if (tryUndoDsack(tcb)) {
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
                processLoss(tcb, flag, numDupack, st);
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
            tryUndoDsack(tcb);
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
        return tcb.rack.detectLoss(tcb, layer.clock().nanos(), reoWnd, marker);
    }

    /** Linux tcp_mark_skb_lost, with its counters. */
    void markLost(Tcb tcb, int slot) {
        switch (tcb.rtx.markLost(slot)) {
            case LOST -> tcb.lostTotal++;
            case RETRANSMISSION_LOST -> stats.inc(Counter.TcpExtTCPLostRetransmit);
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
                cwndReduction(tcb, 1, 0, 0);
            }
            xmitRetransmitQueue(tcb);
        }
        if (tcb.retransmitKind != Tcb.TimerKind.RETRANSMIT) {
            rearmRto(tcb);
        }
    }

    /** Linux tcp_enter_recovery: a loss is proven; remember what undo would restore, start PRR. */
    private void enterRecovery(Tcb tcb, boolean eceAck) {
        stats.inc(tcb.sackOk ? Counter.TcpExtTCPSackRecovery : Counter.TcpExtTCPRenoRecovery);
        tcb.priorSsthresh = 0;
        initUndo(tcb);
        if (!tcb.caState.inCwndReduction()) {
            if (!eceAck) {
                tcb.priorSsthresh = currentSsthresh(tcb);
            }
            initCwndReduction(tcb);
        }
        setCaState(tcb, CaState.RECOVERY);
    }

    /** Linux tcp_enter_cwr: a congestion signal without a loss (ECE): reduce cwnd by PRR, no undo. */
    void enterCwr(Tcb tcb) {
        tcb.priorSsthresh = 0;
        if (tcb.caState.ordinal() < CaState.CWR.ordinal()) {
            tcb.undoArmed = false;
            initCwndReduction(tcb);
            setCaState(tcb, CaState.CWR);
        }
    }

    /** Linux tcp_init_undo: recovery starts at snd.una; undo needs every retransmission from here shown spurious. */
    private static void initUndo(Tcb tcb) {
        tcb.undoArmed = true;
        tcb.undoMarker = tcb.sndUna;
        tcb.undoRetrans = tcb.rtx.retransOut() > 0 ? tcb.rtx.retransOut() : -1;
    }

    /** Linux tcp_current_ssthresh. */
    private static int currentSsthresh(Tcb tcb) {
        CongestionState c = tcb.congestion();
        if (tcb.caState.inCwndReduction()) {
            return c.ssthresh;
        }
        return Math.max(c.ssthresh, (c.cwnd >> 1) + (c.cwnd >> 2));
    }

    /** Linux tcp_init_cwnd_reduction: ssthresh from the algorithm, PRR starts counting. */
    private static void initCwndReduction(Tcb tcb) {
        CongestionState c = tcb.congestion();
        tcb.highSeq = tcb.sndNxt;
        tcb.tlpPending = false;
        c.cwndCnt = 0;
        c.priorCwnd = c.cwnd;
        tcb.prrDelivered = 0;
        tcb.prrOut = 0;
        c.ssthresh = tcb.cc.ssthresh(c);
        Ecn.queueCwr(tcb); // Linux tcp_ecn_queue_cwr
    }

    /** Linux tcp_end_cwnd_reduction: cwnd ends at ssthresh (unless the reduction was undone). */
    private static void endCwndReduction(Tcb tcb) {
        CongestionState c = tcb.congestion();
        if (c.ssthresh < CongestionState.INFINITE_SSTHRESH && (tcb.caState == CaState.CWR || tcb.undoArmed)) {
            c.cwnd = c.ssthresh;
        }
        tcb.cc.cwndEvent(c, CwndEvent.COMPLETE_CWR);
    }

    /**
     * Proportional Rate Reduction (RFC 6937; Linux tcp_cwnd_reduction): in recovery cwnd is the
     * flight plus what may be sent for the data just delivered: in proportion ssthresh/prior_cwnd
     * while the flight is above ssthresh, then up to ssthresh in slow start (PRR-SSRB).
     */
    void cwndReduction(Tcb tcb, int newlyAckedSacked, int newlyLost, int flag) {
        CongestionState c = tcb.congestion();
        if (newlyAckedSacked <= 0 || c.priorCwnd == 0) {
            return;
        }
        int inFlight = tcb.rtx.inFlight();
        int delta = c.ssthresh - inFlight;
        tcb.prrDelivered += newlyAckedSacked;
        int sndcnt;
        if (delta < 0) {
            long dividend = (long) c.ssthresh * tcb.prrDelivered + c.priorCwnd - 1;
            sndcnt = (int) (dividend / c.priorCwnd) - tcb.prrOut;
        } else {
            sndcnt = Math.max(tcb.prrDelivered - tcb.prrOut, newlyAckedSacked);
            if ((flag & TcpAck.FLAG_SND_UNA_ADVANCED) != 0 && newlyLost == 0) {
                sndcnt++;
            }
            sndcnt = Math.min(delta, sndcnt);
        }
        sndcnt = Math.max(sndcnt, tcb.prrOut == 0 ? 1 : 0); // the fast retransmit goes at once
        c.cwnd = inFlight + sndcnt;
    }

    /**
     * Linux tcp_cong_control: PRR while cwnd is being reduced, otherwise the algorithm's growth
     * when the ACK delivered data in order (or, with reordering seen, any data).
     */
    void congControl(Tcb tcb, int ackedSacked, int flag) {
        if (tcb.caState.inCwndReduction()) {
            cwndReduction(tcb, ackedSacked, tcb.ackState.losses, flag);
        } else if (mayRaiseCwnd(tcb, flag)) {
            tcb.cc.congAvoid(tcb.congestion(), ackedSacked);
        }
    }

    /** Linux tcp_may_raise_cwnd (RFC 5681: grow on in-order delivery; with high reordering on any progress). */
    private boolean mayRaiseCwnd(Tcb tcb, int flag) {
        if (tcb.reordering > layer.settings().reordering) {
            return (flag & TcpAck.FLAG_FORWARD_PROGRESS) != 0;
        }
        return (flag & TcpAck.FLAG_DATA_ACKED) != 0;
    }

    // ---- undo (Linux tcp_try_undo_*)

    /** Linux tcp_may_undo: every retransmission was shown spurious (D-SACK), or the original arrived (timestamps). */
    private static boolean mayUndo(Tcb tcb, TcpAck.State st) {
        return tcb.undoArmed && (tcb.undoRetrans == 0 || packetDelayed(tcb, st));
    }

    /**
     * Linux tcp_packet_delayed (Eifel, RFC 3522): the ACK echoes a timestamp from before our first
     * retransmission, so it was sent for an original transmission.
     */
    private static boolean packetDelayed(Tcb tcb, TcpAck.State st) {
        return tcb.retransStampMs != 0 && st.tsEcr != 0
                && SeqNum.lt(st.tsEcr, tcb.tsValAt(tcb.retransStampMs * 1_000_000L));
    }

    /** Linux tcp_undo_cwnd_reduction: back to the window before the reduction; RACK looks again. */
    private static void undoCwndReduction(Tcb tcb, boolean unmarkLoss) {
        if (unmarkLoss) {
            tcb.rtx.unmarkLost();
        }
        CongestionState c = tcb.congestion();
        if (tcb.priorSsthresh != 0) {
            c.cwnd = tcb.cc.undoCwnd(c);
            if (tcb.priorSsthresh > c.ssthresh) {
                c.ssthresh = tcb.priorSsthresh;
            }
        }
        tcb.undoArmed = false;
        tcb.rack.advanced = true;
    }

    /** Linux tcp_try_undo_recovery: high_seq is acknowledged; undo if the recovery was spurious. */
    private boolean tryUndoRecovery(Tcb tcb) {
        TcpAck.State st = tcb.ackState;
        if (mayUndo(tcb, st)) {
            boolean loss = tcb.caState == CaState.LOSS;
            undoCwndReduction(tcb, false);
            stats.inc(loss ? Counter.TcpExtTCPLossUndo : Counter.TcpExtTCPFullUndo);
        } else if (tcb.rack.reoWndPersist > 0) {
            tcb.rack.reoWndPersist--;
        }
        if (tcb.sndUna == tcb.highSeq && !tcb.sackOk) {
            // RFC 6582: hold the state until data above high_seq is acknowledged (no false fast retransmit)
            if (!anyRetransDone(tcb)) {
                tcb.retransStampMs = 0;
            }
            return true;
        }
        setCaState(tcb, CaState.OPEN);
        return false;
    }

    /** Linux tcp_try_undo_dsack: D-SACKs covered every retransmission of this recovery. */
    private boolean tryUndoDsack(Tcb tcb) {
        if (tcb.undoArmed && tcb.undoRetrans == 0) {
            tcb.rack.reoWndPersist = Math.min(Rack.RECOVERY_THRESH, tcb.rack.reoWndPersist + 1);
            undoCwndReduction(tcb, false);
            stats.inc(Counter.TcpExtTCPDSACKUndo);
            return true;
        }
        return false;
    }

    /**
     * Linux tcp_try_undo_partial: a partial ACK for an original transmission (timestamps) fills
     * the hole: the path reorders more than thought. Undo if no retransmission is in flight.
     * Returns true when the ACK needs nothing more.
     */
    private boolean tryUndoPartial(Tcb tcb, int priorSndUna, TcpAck.State st) {
        if (tcb.undoArmed && packetDelayed(tcb, st)) {
            layer.ack().checkSackReordering(tcb, priorSndUna, true);
            if (tcb.rtx.retransOut() > 0) {
                return true;
            }
            if (!anyRetransDone(tcb)) {
                tcb.retransStampMs = 0;
            }
            undoCwndReduction(tcb, true);
            stats.inc(Counter.TcpExtTCPPartialUndo);
            tryKeepOpen(tcb);
            return true;
        }
        return false;
    }

    /** Linux tcp_try_undo_loss: after a timeout, the original transmissions were delivered after all. */
    private boolean tryUndoLoss(Tcb tcb) {
        if (mayUndo(tcb, tcb.ackState)) {
            undoCwndReduction(tcb, true);
            stats.inc(Counter.TcpExtTCPLossUndo);
            tcb.retransmits = 0;
            if (tcb.sackOk) {
                setCaState(tcb, CaState.OPEN);
            }
            return true;
        }
        return false;
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
    private void tryKeepOpen(Tcb tcb) {
        CaState state = tcb.rtx.leftOut() > 0 || anyRetransDone(tcb) ? CaState.DISORDER : CaState.OPEN;
        if (tcb.caState != state) {
            setCaState(tcb, state);
            tcb.highSeq = tcb.sndNxt;
        }
    }

    /** Linux tcp_any_retrans_done. */
    private static boolean anyRetransDone(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        return q.retransOut() > 0 || (!q.isEmpty() && q.has(q.slot(0), RetransmitQueue.EVER_RETRANS));
    }

    void setCaState(Tcb tcb, CaState state) {
        if (tcb.caState != state) {
            tcb.cc.setState(tcb.congestion(), state);
            layer.trace().note(tcb, Rule.CONGESTION_STATE, "congestion state " + tcb.caState.ssName() + " -> " + state.ssName());
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
    private void addRenoSack(Tcb tcb, int numDupack) {
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
    private void checkRenoReordering(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        int holes = Math.min(Math.max(q.lostOut(), 1), q.packetsOut());
        if (q.sackedOut() + holes <= q.packetsOut()) {
            return;
        }
        q.setRenoSacked(q.packetsOut() - holes);
        tcb.reordering = Math.min(q.packetsOut(), layer.settings().maxReordering);
        tcb.reordSeen++;
        stats.inc(Counter.TcpExtTCPRenoReorder);
    }

    // ---- after a retransmission timeout (Linux tcp_enter_loss, tcp_process_loss)

    /**
     * Linux tcp_retransmit_timer for data: the retransmission timer expired. Everything not
     * SACKed (and sent longer ago than RACK's RTT) is lost, cwnd restarts from the flight plus one,
     * and the head goes again with the timer backed off (RFC 6298 5.4-5.6).
     */
    void retransmitTimeout(Tcb tcb) {
        if (tcb.retransmits == 0) {
            Counter failures = switch (tcb.caState) {
                case RECOVERY -> tcb.sackOk ? Counter.TcpExtTCPSackFailures : Counter.TcpExtTCPRenoFailures;
                case LOSS -> Counter.TcpExtTCPLossFailures;
                default -> tcb.caState == CaState.DISORDER || tcb.rtx.sackedOut() > 0
                        ? (tcb.sackOk ? Counter.TcpExtTCPSackFailures : Counter.TcpExtTCPRenoFailures) : null;
            };
            if (failures != null) {
                stats.inc(failures);
            }
        }
        enterLoss(tcb);
        tcb.retransmits++;
        RetransmitQueue q = tcb.rtx;
        layer.trace().cause(tcb, Rule.RTO_RETRANSMIT);
        layer.output().retransmit(tcb, q.slot(0), true);
        tcb.rtt.backoff();
        TcpTimers.resetXmitTimer(tcb, Tcb.TimerKind.RETRANSMIT, tcb.rtt.rtoMicros());
    }

    /** Linux tcp_enter_loss. */
    private void enterLoss(Tcb tcb) {
        CongestionState c = tcb.congestion();
        timeoutMarkLost(tcb);
        // reduce ssthresh once per window (not again for a repeated timeout of the same data)
        if (tcb.caState.ordinal() <= CaState.DISORDER.ordinal() || !SeqNum.gt(tcb.highSeq, tcb.sndUna)
                || (tcb.caState == CaState.LOSS && tcb.retransmits == 0)) {
            tcb.priorSsthresh = currentSsthresh(tcb);
            c.priorCwnd = c.cwnd;
            c.ssthresh = tcb.cc.ssthresh(c);
            tcb.cc.cwndEvent(c, CwndEvent.LOSS);
            initUndo(tcb);
        }
        c.cwnd = tcb.rtx.inFlight() + 1;
        c.cwndCnt = 0;
        int sysctlReordering = layer.settings().reordering;
        if (tcb.caState.ordinal() <= CaState.DISORDER.ordinal() && tcb.rtx.sackedOut() >= sysctlReordering) {
            tcb.reordering = Math.min(tcb.reordering, sysctlReordering); // the reordering degree was overestimated
        }
        setCaState(tcb, CaState.LOSS);
        tcb.highSeq = tcb.sndNxt;
        tcb.tlpPending = false;
    }

    /**
     * Linux tcp_timeout_mark_lost: the head and every segment not SACKed are lost, except those
     * RACK says were sent too recently to tell. A SACKed head means the peer reneged: forget SACKs.
     */
    private void timeoutMarkLost(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        if (q.isEmpty()) {
            return;
        }
        boolean reneged = q.has(q.slot(0), RetransmitQueue.SACKED);
        if (reneged) {
            q.clearSacked();
        } else if (!tcb.sackOk) {
            q.setRenoSacked(0);
        }
        long now = layer.clock().nanos();
        for (int i = 0; i < q.packetsOut(); i++) {
            int slot = q.slot(i);
            if (!reneged && tcb.sackOk && i > 0
                    && tcb.rack.rttMicros - (now - q.sentNanos(slot)) / 1000 > 0) {
                continue; // sent within RACK's RTT: not yet known to be lost
            }
            markLost(tcb, slot);
        }
    }

    /** Linux tcp_process_loss (without F-RTO): in Loss, until high_seq is acknowledged. */
    private void processLoss(Tcb tcb, int flag, int numDupack, TcpAck.State st) {
        boolean recovered = !SeqNum.lt(tcb.sndUna, tcb.highSeq);
        if ((flag & TcpAck.FLAG_SND_UNA_ADVANCED) != 0 && tryUndoLoss(tcb)) {
            return;
        }
        if (recovered) {
            tryUndoRecovery(tcb);
            return;
        }
        if (!tcb.sackOk) {
            if (SeqNum.gt(tcb.sndNxt, tcb.highSeq) && numDupack > 0) {
                addRenoSack(tcb, numDupack);
            } else if ((flag & TcpAck.FLAG_SND_UNA_ADVANCED) != 0) {
                tcb.rtx.setRenoSacked(0);
            }
        }
        st.rexmit = true;
    }

    // ---- after the path MTU shrank (Linux tcp_simple_retransmit)

    /**
     * Linux tcp_simple_retransmit, after a Packet Too Big lowered snd MSS: every segment in flight
     * longer than it is lost, and they go again cut to the new size; ssthresh is what it would be
     * now and cwnd stays (fewer bytes per segment, not fewer segments: the path lost no data to
     * congestion), in the Loss state so that undo cannot bring the old segments back.
     */
    void simpleRetransmit(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        for (int i = 0; i < q.packetsOut(); i++) {
            int slot = q.slot(i);
            int length = q.end(slot) - q.start(slot) - (q.has(slot, RetransmitQueue.FIN) ? 1 : 0);
            if (length > tcb.sndMss) {
                markLost(tcb, slot);
            }
        }
        if (q.lostOut() == 0) {
            return;
        }
        if (tcb.caState != CaState.LOSS) {
            tcb.highSeq = tcb.sndNxt;
            tcb.congestion().ssthresh = currentSsthresh(tcb);
            tcb.priorSsthresh = 0;
            tcb.undoArmed = false;
            setCaState(tcb, CaState.LOSS);
        }
        xmitRetransmitQueue(tcb);
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
    void xmitRetransmitQueue(Tcb tcb) {
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
            if (!layer.output().retransmit(tcb, slot, true)) {
                break;
            }
            stats.inc(tcb.caState != CaState.LOSS ? Counter.TcpExtTCPFastRetrans : Counter.TcpExtTCPSlowStartRetrans);
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

    // ---- timers: RTO, the tail loss probe (RFC 8985 7; Linux tcp_schedule_loss_probe)

    /** Linux tcp_set_xmit_timer: the loss probe timer if a probe is due, else the RTO. */
    void setXmitTimer(Tcb tcb) {
        if (!scheduleLossProbe(tcb, true)) {
            rearmRto(tcb);
        }
    }

    /**
     * Linux tcp_rearm_rto: the RTO from now, or, while a probe or reordering timer is pending,
     * what is left of the RTO of the head's last transmission. Nothing in flight: no timer.
     */
    void rearmRto(Tcb tcb) {
        TcpTimers.rearmRto(tcb);
    }

    /**
     * Linux tcp_schedule_loss_probe: with SACK, in Open or CWR, a probe after 2 SRTT (plus the
     * peer's delayed ACK when one segment is out, else TCP_TIMEOUT_MIN), never after the RTO.
     */
    boolean scheduleLossProbe(Tcb tcb, boolean advancingRto) {
        RetransmitQueue q = tcb.rtx;
        int earlyRetrans = layer.settings().earlyRetrans;
        if ((earlyRetrans != 3 && earlyRetrans != 4) || q.isEmpty() || !tcb.sackOk
                || (tcb.caState != CaState.OPEN && tcb.caState != CaState.CWR)) {
            return false;
        }
        long timeout;
        long srtt = tcb.rtt.srttMicros();
        if (srtt > 0) {
            timeout = 2 * srtt + (q.packetsOut() == 1 ? layer.settings().rtoMinMs * 1000 : TIMEOUT_MIN_MICROS);
        } else {
            timeout = layer.settings().rtoInitMs * 1000;
        }
        long rtoDelta = advancingRto ? tcb.rtt.rtoMicros() : TcpTimers.rtoDeltaMicros(tcb);
        if (rtoDelta > 0) {
            timeout = Math.min(timeout, rtoDelta);
        }
        TcpTimers.resetXmitTimer(tcb, Tcb.TimerKind.LOSS_PROBE, timeout);
        return true;
    }

    /**
     * Linux tcp_send_loss_probe: one new segment if the window allows, else the last segment
     * again; then the RTO from now. At most one probe per tail loss episode.
     */
    void sendLossProbe(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        if (!tcb.tlpPending && !q.isEmpty()) {
            tcb.tlpRetrans = false;
            layer.trace().cause(tcb, Rule.TAIL_LOSS_PROBE);
            boolean sent = layer.output().sendNewSegment(tcb);
            if (!sent) {
                layer.trace().cause(tcb, Rule.TAIL_LOSS_PROBE);
                sent = layer.output().retransmit(tcb, q.slot(q.packetsOut() - 1), false);
                tcb.tlpRetrans = sent;
            }
            if (sent) {
                tcb.tlpHighSeq = tcb.sndNxt;
                tcb.tlpPending = true;
                stats.inc(Counter.TcpExtTCPLossProbes);
                layer.trace().timer(tcb, Rule.TAIL_LOSS_PROBE, "tail loss probe (RFC 8985 7.3): " + (tcb.tlpRetrans ? "last segment again" : "new data"));
                tcb.retransmitKind = Tcb.TimerKind.NONE; // the RTO restarts from now
            }
        }
        rearmRto(tcb);
    }

    /**
     * Linux tcp_process_tlp_ack (RFC 8985 7.4): an ACK past the probe. If the probe repaired a
     * loss (the ACK covers more than it, without a D-SACK of it), cwnd is reduced once (CWR).
     */
    void processTlpAck(Tcb tcb, int ack, int flag) {
        if (SeqNum.lt(ack, tcb.tlpHighSeq)) {
            return;
        }
        if (!tcb.tlpRetrans) {
            tcb.tlpPending = false; // a probe of new data was acknowledged
        } else if ((flag & TcpAck.FLAG_DSACK_TLP) != 0) {
            tcb.tlpPending = false; // the original and the probe both arrived: no loss
        } else if (SeqNum.gt(ack, tcb.tlpHighSeq)) {
            initCwndReduction(tcb);
            setCaState(tcb, CaState.CWR);
            endCwndReduction(tcb);
            tryKeepOpen(tcb);
            stats.inc(Counter.TcpExtTCPLossProbeRecovery);
        } else if ((flag & (TcpAck.FLAG_SND_UNA_ADVANCED | TcpAck.FLAG_NOT_DUP | TcpAck.FLAG_DATA_SACKED)) == 0) {
            tcb.tlpPending = false; // a pure duplicate ACK: both arrived
        }
    }
}
