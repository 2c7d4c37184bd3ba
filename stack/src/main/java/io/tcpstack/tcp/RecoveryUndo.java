package io.tcpstack.tcp;

import io.tcpstack.stats.Counter;
import io.tcpstack.tcp.congestion.CaState;
import io.tcpstack.tcp.congestion.CongestionState;

/**
 * Undo of a congestion window reduction that proves spurious (Linux tcp_input.c tcp_try_undo_*):
 * every retransmission of the episode was reported a duplicate by D-SACKs (RFC 2883), or the
 * echoed timestamp shows the ACK was for the original transmission (Eifel, RFC 3522). The
 * reduction is reverted by the algorithm ({@link Tcb#cc}), and RACK looks at the queue again.
 * Runs under the Tcb lock.
 */
final class RecoveryUndo {
    private RecoveryUndo() {}

    /** Linux tcp_init_undo: recovery starts at snd.una; undo needs every retransmission from here shown spurious. */
    static void init(Tcb tcb) {
        tcb.undoArmed = true;
        tcb.undoMarker = tcb.sndUna;
        tcb.undoRetrans = tcb.rtx.retransOut() > 0 ? tcb.rtx.retransOut() : -1;
    }

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
    static boolean tryUndoRecovery(Tcb tcb) {
        TcpAck.State st = tcb.ackState;
        if (mayUndo(tcb, st)) {
            boolean loss = tcb.caState == CaState.LOSS;
            undoCwndReduction(tcb, false);
            tcb.layer.stats().inc(loss ? Counter.TcpExtTCPLossUndo : Counter.TcpExtTCPFullUndo);
        } else if (tcb.rack.reoWndPersist > 0) {
            tcb.rack.reoWndPersist--;
        }
        if (tcb.sndUna == tcb.highSeq && !tcb.sackOk) {
            // RFC 6582: hold the state until data above high_seq is acknowledged (no false fast retransmit)
            if (!LossRecovery.anyRetransDone(tcb)) {
                tcb.retransStampMs = 0;
            }
            return true;
        }
        LossRecovery.setCaState(tcb, CaState.OPEN);
        return false;
    }

    /** Linux tcp_try_undo_dsack: D-SACKs covered every retransmission of this recovery. */
    static boolean tryUndoDsack(Tcb tcb) {
        if (tcb.undoArmed && tcb.undoRetrans == 0) {
            tcb.rack.reoWndPersist = Math.min(Rack.RECOVERY_THRESH, tcb.rack.reoWndPersist + 1);
            undoCwndReduction(tcb, false);
            tcb.layer.stats().inc(Counter.TcpExtTCPDSACKUndo);
            return true;
        }
        return false;
    }

    /**
     * Linux tcp_try_undo_partial: a partial ACK for an original transmission (timestamps) fills
     * the hole: the path reorders more than thought. Undo if no retransmission is in flight.
     * Returns true when the ACK needs nothing more.
     */
    static boolean tryUndoPartial(Tcb tcb, int priorSndUna, TcpAck.State st) {
        if (tcb.undoArmed && packetDelayed(tcb, st)) {
            SackTagging.checkSackReordering(tcb, priorSndUna, true);
            if (tcb.rtx.retransOut() > 0) {
                return true;
            }
            if (!LossRecovery.anyRetransDone(tcb)) {
                tcb.retransStampMs = 0;
            }
            undoCwndReduction(tcb, true);
            tcb.layer.stats().inc(Counter.TcpExtTCPPartialUndo);
            LossRecovery.tryKeepOpen(tcb);
            return true;
        }
        return false;
    }

    /** Linux tcp_try_undo_loss: after a timeout, the original transmissions were delivered after all. */
    static boolean tryUndoLoss(Tcb tcb) {
        if (mayUndo(tcb, tcb.ackState)) {
            undoCwndReduction(tcb, true);
            tcb.layer.stats().inc(Counter.TcpExtTCPLossUndo);
            tcb.retransmits = 0;
            if (tcb.sackOk) {
                LossRecovery.setCaState(tcb, CaState.OPEN);
            }
            return true;
        }
        return false;
    }
}
