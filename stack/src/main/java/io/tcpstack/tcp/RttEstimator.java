package io.tcpstack.tcp;

/**
 * The retransmission timeout (RFC 6298) in Linux's shape (tcp_rtt_estimator, tcp_set_rto):
 * RTO = SRTT + max(4 RTTVAR, rto_min), so the first sample R gives R + max(2R, rto_min); clamped
 * to [rto_min, rto_max]; doubled per backoff (5.5). Karn's rule (no samples from retransmitted
 * segments, 3) is the caller's: with timestamps every ACK is a valid sample (RFC 7323 4.1).
 * Times in microseconds. Not thread-safe: used under the Tcb lock.
 */
final class RttEstimator {
    /** RFC 6298 2.1 / Linux TCP_TIMEOUT_INIT. */
    static final long INITIAL_RTO_MICROS = 1_000_000L;
    /** RFC 6298 5.7 / Linux TCP_TIMEOUT_FALLBACK. */
    static final long FALLBACK_RTO_MICROS = 3_000_000L;

    private final long rtoMinMicros;
    private final long rtoMaxMicros;
    private long srtt;
    private long rttvar;
    private long rto = INITIAL_RTO_MICROS;
    private int backoff;
    private boolean sampled;

    RttEstimator(long rtoMinMicros, long rtoMaxMicros) {
        this.rtoMinMicros = rtoMinMicros;
        this.rtoMaxMicros = rtoMaxMicros;
    }

    /** RFC 6298 2.2 and 2.3: a new measurement R. */
    void sample(long r) {
        if (!sampled) {
            srtt = r;
            rttvar = r / 2;
            sampled = true;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4; // beta = 1/4
            srtt = (7 * srtt + r) / 8; // alpha = 1/8
        }
        // Linux __tcp_set_rto: in jiffies (whole ms at HZ=1000), rounded up: 201 ms on a fast path
        rto = clamp((srtt + Math.max(4 * rttvar, rtoMinMicros) + 999) / 1000 * 1000);
        backoff = 0;
    }

    /** RFC 6298 5.7: after a handshake whose SYN was retransmitted and gave no sample. */
    void fallback() {
        if (!sampled) {
            rto = FALLBACK_RTO_MICROS;
        }
    }

    /** RFC 6298 5.5: double the timer. */
    void backoff() {
        backoff = Math.min(backoff + 1, 30);
    }

    int backoffCount() {
        return backoff;
    }

    /** The timeout to arm now, backoff included, at most rto_max. */
    long rtoMicros() {
        return Math.min(rto << backoff, rtoMaxMicros);
    }

    /** The timeout without backoff. */
    long baseRtoMicros() {
        return rto;
    }

    long srttMicros() {
        return srtt;
    }

    long rttVarMicros() {
        return rttvar;
    }

    private long clamp(long value) {
        return Math.max(rtoMinMicros, Math.min(value, rtoMaxMicros));
    }
}
