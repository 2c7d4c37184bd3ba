package io.tcpstack.tcp.congestion;

/**
 * The congestion variables of one connection that a {@link CongestionControl} reads and moves
 * (Linux keeps them in tcp_sock: snd_cwnd, snd_ssthresh, snd_cwnd_cnt, prior_cwnd), in segments,
 * and the helpers of net/ipv4/tcp_cong.c every algorithm builds on. Not thread-safe: used under
 * the connection's lock.
 */
public final class CongestionState {
    /** TCP_INFINITE_SSTHRESH: no slow-start threshold yet. */
    public static final int INFINITE_SSTHRESH = 0x7fffffff;

    /** snd_cwnd: segments the sender may have in flight. */
    public int cwnd;
    /** snd_ssthresh. */
    public int ssthresh = INFINITE_SSTHRESH;
    /** snd_cwnd_cnt: segments ACKed towards the next +1 in congestion avoidance. */
    public int cwndCnt;
    /** prior_cwnd: cwnd when the current reduction (or loss) began, for undo and PRR. */
    public int priorCwnd;
    /** Linux tcp_is_cwnd_limited, as the sender last saw it: the window, not the application, limited sending. */
    public boolean cwndLimited;
    /** Most segments in flight in the current window (max_packets_out). */
    public int maxPacketsOut;
    /** Smoothed RTT and minimum RTT in microseconds (0: no sample yet), for algorithms that use them. */
    public long srttMicros;
    public long minRttMicros;
    /** The connection's clock, microseconds, when the current ACK is processed. */
    public long nowMicros;
    /** Segments delivered so far (Linux tp->delivered), for round tracking. */
    public long delivered;
    /** snd.una and snd.nxt when the current ACK is processed (round tracking). */
    public int sndUna;
    public int sndNxt;
    /** When data was last sent, ms (Linux lsndtime). */
    public long lastSendMs;

    public CongestionState(int initialCwnd) {
        this.cwnd = initialCwnd;
    }

    /** Linux tcp_in_slow_start. */
    public boolean inSlowStart() {
        return cwnd < ssthresh;
    }

    /**
     * Linux tcp_is_cwnd_limited: the flight used the window, or in slow start at least half of it
     * (RFC 7661: cwnd grows only when the sender could use it).
     */
    public boolean isCwndLimited() {
        if (cwndLimited) {
            return true;
        }
        return inSlowStart() && cwnd < 2 * maxPacketsOut;
    }

    /**
     * Linux tcp_slow_start (RFC 5681 3.1, without RFC 3465's limit L: Linux adds every ACKed
     * segment): cwnd grows by {@code acked} up to ssthresh; returns what is left for congestion
     * avoidance.
     */
    public int slowStart(int acked) {
        int grown = (int) Math.min((long) cwnd + acked, ssthresh);
        acked -= grown - cwnd;
        cwnd = grown;
        return acked;
    }

    /** Linux tcp_cong_avoid_ai: one segment per {@code w} segments ACKed (RFC 5681 3.1 eq. 3). */
    public void congAvoidAi(int w, int acked) {
        if (cwndCnt >= w) {
            cwndCnt = 0;
            cwnd++;
        }
        cwndCnt += acked;
        if (cwndCnt >= w) {
            int delta = cwndCnt / w;
            cwndCnt -= delta * w;
            cwnd += delta;
        }
    }
}
