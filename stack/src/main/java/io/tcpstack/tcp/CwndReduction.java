package io.tcpstack.tcp;

import io.tcpstack.tcp.congestion.CaState;
import io.tcpstack.tcp.congestion.CongestionState;
import io.tcpstack.tcp.congestion.CwndEvent;

/**
 * The congestion window on each ACK (Linux tcp_input.c tcp_cong_control and its helpers):
 * Proportional Rate Reduction (RFC 6937) from the start of a reduction (CWR, Recovery) to its
 * end, otherwise the growth of the congestion control algorithm ({@link Tcb#cc}). Runs under the
 * Tcb lock.
 */
final class CwndReduction {
    private CwndReduction() {}

    /** Linux tcp_current_ssthresh. */
    static int currentSsthresh(Tcb tcb) {
        CongestionState c = tcb.congestion();
        if (tcb.caState.inCwndReduction()) {
            return c.ssthresh;
        }
        return Math.max(c.ssthresh, (c.cwnd >> 1) + (c.cwnd >> 2));
    }

    /** Linux tcp_init_cwnd_reduction: ssthresh from the algorithm, PRR starts counting. */
    static void init(Tcb tcb) {
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
    static void end(Tcb tcb) {
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
    static void prr(Tcb tcb, int newlyAckedSacked, int newlyLost, int flag) {
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
    static void congControl(Tcb tcb, int ackedSacked, int flag) {
        if (tcb.caState.inCwndReduction()) {
            prr(tcb, ackedSacked, tcb.ackState.losses, flag);
        } else if (mayRaiseCwnd(tcb, flag)) {
            tcb.cc.congAvoid(tcb.congestion(), ackedSacked);
        }
    }

    /** Linux tcp_may_raise_cwnd (RFC 5681: grow on in-order delivery; with high reordering on any progress). */
    private static boolean mayRaiseCwnd(Tcb tcb, int flag) {
        if (tcb.reordering > tcb.layer.settings().reordering) {
            return (flag & TcpAck.FLAG_FORWARD_PROGRESS) != 0;
        }
        return (flag & TcpAck.FLAG_DATA_ACKED) != 0;
    }
}
