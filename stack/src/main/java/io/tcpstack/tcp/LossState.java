package io.tcpstack.tcp;

import io.tcpstack.stats.Counter;
import io.tcpstack.tcp.congestion.CaState;
import io.tcpstack.tcp.congestion.CongestionState;
import io.tcpstack.tcp.congestion.CwndEvent;
import io.tcpstack.trace.Rule;

/**
 * The Loss state (Linux tcp_input.c tcp_enter_loss, tcp_timeout_mark_lost, tcp_process_loss and
 * tcp_simple_retransmit; tcp_timer.c tcp_retransmit_timer for data): entered when the
 * retransmission timer expires (RFC 6298 5.4-5.6, RFC 5681 3.1) or the path MTU shrinks, left
 * when everything sent before it is acknowledged, or by undo. Runs under the Tcb lock.
 */
final class LossState {
    private LossState() {}

    /**
     * Linux tcp_retransmit_timer for data: the retransmission timer expired. Everything not
     * SACKed (and sent longer ago than RACK's RTT) is lost, cwnd restarts from the flight plus one,
     * and the head goes again with the timer backed off (RFC 6298 5.4-5.6).
     */
    static void retransmitTimeout(Tcb tcb) {
        if (tcb.retransmits == 0) {
            Counter failures = switch (tcb.caState) {
                case RECOVERY -> tcb.sackOk ? Counter.TcpExtTCPSackFailures : Counter.TcpExtTCPRenoFailures;
                case LOSS -> Counter.TcpExtTCPLossFailures;
                default -> tcb.caState == CaState.DISORDER || tcb.rtx.sackedOut() > 0
                        ? (tcb.sackOk ? Counter.TcpExtTCPSackFailures : Counter.TcpExtTCPRenoFailures) : null;
            };
            if (failures != null) {
                tcb.layer.stats().inc(failures);
            }
        }
        enterLoss(tcb);
        tcb.retransmits++;
        RetransmitQueue q = tcb.rtx;
        tcb.layer.trace().cause(tcb, Rule.RTO_RETRANSMIT);
        DataTransmit.retransmit(tcb, q.slot(0), true);
        tcb.rtt.backoff();
        TcpTimers.resetXmitTimer(tcb, Tcb.TimerKind.RETRANSMIT, tcb.rtt.rtoMicros());
    }

    /** Linux tcp_enter_loss. */
    private static void enterLoss(Tcb tcb) {
        CongestionState c = tcb.congestion();
        timeoutMarkLost(tcb);
        // reduce ssthresh once per window (not again for a repeated timeout of the same data)
        if (tcb.caState.ordinal() <= CaState.DISORDER.ordinal() || !SeqNum.gt(tcb.highSeq, tcb.sndUna)
                || (tcb.caState == CaState.LOSS && tcb.retransmits == 0)) {
            tcb.priorSsthresh = CwndReduction.currentSsthresh(tcb);
            c.priorCwnd = c.cwnd;
            c.ssthresh = tcb.cc.ssthresh(c);
            tcb.cc.cwndEvent(c, CwndEvent.LOSS);
            RecoveryUndo.init(tcb);
        }
        c.cwnd = tcb.rtx.inFlight() + 1;
        c.cwndCnt = 0;
        int sysctlReordering = tcb.layer.settings().reordering;
        if (tcb.caState.ordinal() <= CaState.DISORDER.ordinal() && tcb.rtx.sackedOut() >= sysctlReordering) {
            tcb.reordering = Math.min(tcb.reordering, sysctlReordering); // the reordering degree was overestimated
        }
        LossRecovery.setCaState(tcb, CaState.LOSS);
        tcb.highSeq = tcb.sndNxt;
        tcb.tlpPending = false;
    }

    /**
     * Linux tcp_timeout_mark_lost: the head and every segment not SACKed are lost, except those
     * RACK says were sent too recently to tell. A SACKed head means the peer reneged: forget SACKs.
     */
    private static void timeoutMarkLost(Tcb tcb) {
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
        long now = tcb.layer.clock().nanos();
        for (int i = 0; i < q.packetsOut(); i++) {
            int slot = q.slot(i);
            if (!reneged && tcb.sackOk && i > 0
                    && tcb.rack.rttMicros - (now - q.sentNanos(slot)) / 1000 > 0) {
                continue; // sent within RACK's RTT: not yet known to be lost
            }
            LossRecovery.markLost(tcb, slot);
        }
    }

    /** Linux tcp_process_loss (without F-RTO): in Loss, until high_seq is acknowledged. */
    static void processLoss(Tcb tcb, int flag, int numDupack, TcpAck.State st) {
        boolean recovered = !SeqNum.lt(tcb.sndUna, tcb.highSeq);
        if ((flag & TcpAck.FLAG_SND_UNA_ADVANCED) != 0 && RecoveryUndo.tryUndoLoss(tcb)) {
            return;
        }
        if (recovered) {
            RecoveryUndo.tryUndoRecovery(tcb);
            return;
        }
        if (!tcb.sackOk) {
            if (SeqNum.gt(tcb.sndNxt, tcb.highSeq) && numDupack > 0) {
                LossRecovery.addRenoSack(tcb, numDupack);
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
    static void simpleRetransmit(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        for (int i = 0; i < q.packetsOut(); i++) {
            int slot = q.slot(i);
            int length = q.end(slot) - q.start(slot) - (q.has(slot, RetransmitQueue.FIN) ? 1 : 0);
            if (length > tcb.sndMss) {
                LossRecovery.markLost(tcb, slot);
            }
        }
        if (q.lostOut() == 0) {
            return;
        }
        if (tcb.caState != CaState.LOSS) {
            tcb.highSeq = tcb.sndNxt;
            tcb.congestion().ssthresh = CwndReduction.currentSsthresh(tcb);
            tcb.priorSsthresh = 0;
            tcb.undoArmed = false;
            LossRecovery.setCaState(tcb, CaState.LOSS);
        }
        LossRecovery.xmitRetransmitQueue(tcb);
    }
}
