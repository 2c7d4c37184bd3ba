package io.tcpstack.tcp;

import io.tcpstack.stats.Counter;
import io.tcpstack.tcp.congestion.CaState;
import io.tcpstack.trace.Rule;

/**
 * The tail loss probe (RFC 8985 7; Linux tcp_output.c tcp_schedule_loss_probe and
 * tcp_send_loss_probe, tcp_input.c tcp_set_xmit_timer and tcp_process_tlp_ack): when the ACKs stop
 * with data in flight, one segment goes after about two SRTT instead of waiting for the RTO, so a
 * lost tail is repaired by fast recovery. Runs under the Tcb lock.
 */
final class TailLossProbe {
    private TailLossProbe() {}

    /** Linux tcp_set_xmit_timer: the loss probe timer if a probe is due, else the RTO. */
    static void setXmitTimer(Tcb tcb) {
        if (!schedule(tcb, true)) {
            TcpTimers.rearmRto(tcb);
        }
    }

    /**
     * Linux tcp_schedule_loss_probe: with SACK, in Open or CWR, a probe after 2 SRTT (plus the
     * peer's delayed ACK when one segment is out, else TCP_TIMEOUT_MIN), never after the RTO.
     */
    static boolean schedule(Tcb tcb, boolean advancingRto) {
        RetransmitQueue q = tcb.rtx;
        TcpLayer layer = tcb.layer;
        int earlyRetrans = layer.settings().earlyRetrans;
        if ((earlyRetrans != 3 && earlyRetrans != 4) || q.isEmpty() || !tcb.sackOk
                || (tcb.caState != CaState.OPEN && tcb.caState != CaState.CWR)) {
            return false;
        }
        long timeout;
        long srtt = tcb.rtt.srttMicros();
        if (srtt > 0) {
            timeout = 2 * srtt + (q.packetsOut() == 1 ? layer.settings().rtoMinMs * 1000 : LossRecovery.TIMEOUT_MIN_MICROS);
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
    static void send(Tcb tcb) {
        TcpLayer layer = tcb.layer;
        RetransmitQueue q = tcb.rtx;
        if (!tcb.tlpPending && !q.isEmpty()) {
            tcb.tlpRetrans = false;
            layer.trace().cause(tcb, Rule.TAIL_LOSS_PROBE);
            boolean sent = DataTransmit.sendNewSegment(tcb);
            if (!sent) {
                layer.trace().cause(tcb, Rule.TAIL_LOSS_PROBE);
                sent = DataTransmit.retransmit(tcb, q.slot(q.packetsOut() - 1), false);
                tcb.tlpRetrans = sent;
            }
            if (sent) {
                tcb.tlpHighSeq = tcb.sndNxt;
                tcb.tlpPending = true;
                layer.stats().inc(Counter.TcpExtTCPLossProbes);
                layer.trace().timer(tcb, Rule.TAIL_LOSS_PROBE, "tail loss probe (RFC 8985 7.3): " + (tcb.tlpRetrans ? "last segment again" : "new data"));
                tcb.retransmitKind = Tcb.TimerKind.NONE; // the RTO restarts from now
            }
        }
        TcpTimers.rearmRto(tcb);
    }

    /**
     * Linux tcp_process_tlp_ack (RFC 8985 7.4): an ACK past the probe. If the probe repaired a
     * loss (the ACK covers more than it, without a D-SACK of it), cwnd is reduced once (CWR).
     */
    static void processAck(Tcb tcb, int ack, int flag) {
        if (SeqNum.lt(ack, tcb.tlpHighSeq)) {
            return;
        }
        if (!tcb.tlpRetrans) {
            tcb.tlpPending = false; // a probe of new data was acknowledged
        } else if ((flag & TcpAck.FLAG_DSACK_TLP) != 0) {
            tcb.tlpPending = false; // the original and the probe both arrived: no loss
        } else if (SeqNum.gt(ack, tcb.tlpHighSeq)) {
            CwndReduction.init(tcb);
            LossRecovery.setCaState(tcb, CaState.CWR);
            CwndReduction.end(tcb);
            LossRecovery.tryKeepOpen(tcb);
            tcb.layer.stats().inc(Counter.TcpExtTCPLossProbeRecovery);
        } else if ((flag & (TcpAck.FLAG_SND_UNA_ADVANCED | TcpAck.FLAG_NOT_DUP | TcpAck.FLAG_DATA_SACKED)) == 0) {
            tcb.tlpPending = false; // a pure duplicate ACK: both arrived
        }
    }
}
