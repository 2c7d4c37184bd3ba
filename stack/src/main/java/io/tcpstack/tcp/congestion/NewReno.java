package io.tcpstack.tcp.congestion;

/**
 * Reno with NewReno's recovery (RFC 5681, RFC 6582), as Linux's tcp_reno_* functions in
 * net/ipv4/tcp_cong.c: slow start, then one segment per window, half the window after a loss.
 */
public final class NewReno implements CongestionControl {
    public static final String NAME = "reno";

    @Override
    public String name() {
        return NAME;
    }

    /** tcp_reno_ssthresh. */
    @Override
    public int ssthresh(CongestionState s) {
        return Math.max(s.cwnd >> 1, 2);
    }

    /** tcp_reno_cong_avoid. */
    @Override
    public void congAvoid(CongestionState s, int acked) {
        if (!s.isCwndLimited()) {
            return;
        }
        if (s.inSlowStart()) {
            acked = s.slowStart(acked);
            if (acked == 0) {
                return;
            }
        }
        s.congAvoidAi(s.cwnd, acked);
    }

    /** tcp_reno_undo_cwnd. */
    @Override
    public int undoCwnd(CongestionState s) {
        return Math.max(s.cwnd, s.priorCwnd);
    }
}
