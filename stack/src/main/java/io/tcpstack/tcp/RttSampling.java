package io.tcpstack.tcp;

/**
 * The RTT samples of an ACK (Linux tcp_input.c tcp_ack_update_rtt and tcp_update_rtt_min): which
 * measurement counts (Karn's rule, RFC 6298 3; timestamps, RFC 7323 4.1), the minimum RTT filter,
 * and the sample fed to the {@link RttEstimator} (RFC 6298 2). Runs under the Tcb lock.
 */
final class RttSampling {
    private RttSampling() {}

    /** Linux sysctl_tcp_min_rtt_wlen: the window of the minimum RTT filter. */
    private static final long MIN_RTT_WINDOW_MS = 300_000;

    /**
     * Linux tcp_ack_update_rtt: prefers the RTT of a segment never retransmitted (Karn, RFC 6298
     * 3) measured from its send time, then a SACKed one, then the echoed timestamp (RFC 7323 4.1)
     * of an ACK that advanced snd.una. Updates the minimum RTT filter, SRTT and the RTO.
     */
    static boolean updateRtt(Tcb tcb, Segment seg, int flag, long seqRtt, long sackRtt, long caRtt) {
        if (seqRtt < 0) {
            seqRtt = sackRtt;
        }
        if (seqRtt < 0 && tcb.tsOk && seg.options.hasTimestamp && seg.options.tsEcr != 0 && (flag & TcpAck.FLAG_ACKED) != 0) {
            seqRtt = tcb.tsTicksToMicros(Math.max(1, tcb.tsVal() - seg.options.tsEcr));
            caRtt = seqRtt;
        }
        if (seqRtt < 0) {
            return false;
        }
        sample(tcb, seqRtt, caRtt);
        return true;
    }

    /** An RTT sample: the minimum RTT filter, SRTT and the RTO (RFC 6298 2), and the backoff ends. */
    static void sample(Tcb tcb, long rttMicros, long caRttMicros) {
        updateMinRtt(tcb, Math.max(caRttMicros, 1));
        tcb.rtt.sample(rttMicros);
        tcb.cong.srttMicros = tcb.rtt.srttMicros();
    }

    /** Linux tcp_update_rtt_min: the minimum RTT over the last 300 s (a simplified windowed min). */
    private static void updateMinRtt(Tcb tcb, long rttMicros) {
        long now = tcb.layer.nowMs();
        if (tcb.minRttMicros <= 0 || rttMicros <= tcb.minRttMicros || now - tcb.minRttStampMs > MIN_RTT_WINDOW_MS) {
            tcb.minRttMicros = rttMicros;
            tcb.minRttStampMs = now;
            tcb.cong.minRttMicros = rttMicros;
        }
    }
}
