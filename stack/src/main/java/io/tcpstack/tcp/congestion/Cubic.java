package io.tcpstack.tcp.congestion;

import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import io.tcpstack.tcp.SeqNum;

/**
 * CUBIC (RFC 9438) as Linux's net/ipv4/tcp_cubic.c computes it, with HyStart++ (RFC 9406) to
 * leave the first slow start before it overshoots.
 *
 * <p>After a congestion event at W_max the window follows W_cubic(t) = C (t - K)^3 + W_max with
 * C = 0.4 (Linux bic_scale 41/1024 x 10) and K = cbrt(W_max (1 - beta) / C), beta = 0.7 (Linux
 * 717/1024); as Linux does, the target is taken one minimum RTT ahead, and the "TCP-friendly"
 * estimate (RFC 9438 4.3) keeps it from growing slower than Reno would. Fast convergence lowers
 * W_max when a flow loses again before reaching it.
 *
 * <p>HyStart++ differs from Linux's HyStart (which uses the delay increase of the first 8 ACKs of
 * a round and ACK trains): it compares each round's minimum RTT with the last round's, and after
 * an increase of max(4 ms, min(RTT/8, 16 ms)) grows the window at a quarter of the slow start rate
 * (Conservative Slow Start) for up to 5 rounds, back to slow start if the RTT falls again, then
 * congestion avoidance. It applies to the first slow start only (RFC 9406 4.3). Times are those of
 * {@link CongestionState#nowMicros}; one instance per connection.
 */
public final class Cubic implements CongestionControl {
    public static final String NAME = "cubic";

    /** Linux BICTCP_BETA_SCALE and beta: 717/1024. */
    private static final int BETA_SCALE = 1024;
    private static final int BETA = 717;
    /** C = 0.4 (Linux bic_scale 41 x 10 / 1024 = 0.4004). */
    private static final double C = 41 * 10 / 1024.0;
    /** Linux beta_scale: 8 (1 + beta) / 3 / (1 - beta), the TCP-friendly slope in 1/8 segments. */
    private static final int FRIENDLY_SCALE = 8 * (BETA_SCALE + BETA) / 3 / (BETA_SCALE - BETA);

    /** RFC 9406 constants. */
    static final long MIN_RTT_THRESH_MICROS = 4_000;
    static final long MAX_RTT_THRESH_MICROS = 16_000;
    static final int MIN_RTT_DIVISOR = 8;
    static final int N_RTT_SAMPLE = 8;
    static final int CSS_GROWTH_DIVISOR = 4;
    static final int CSS_ROUNDS = 5;

    private final StackStats stats;

    // CUBIC (Linux struct bictcp)
    private int cnt;
    private int lastMaxCwnd;
    private int lastCwnd;
    private long lastTimeMs;
    private int originPoint;
    /** K in ms. */
    private long kMs;
    /** Minimum delay seen (us), the "one RTT ahead" of the target. */
    private long delayMinMicros;
    /** Start of the current epoch (ms), 0: none. */
    private long epochStartMs;
    private int ackCnt;
    private int tcpCwnd;

    // HyStart++ (RFC 9406)
    private boolean hystartDone;
    private int windowEnd;
    private boolean roundActive;
    private long lastRoundMinRtt = Long.MAX_VALUE;
    private long currentRoundMinRtt = Long.MAX_VALUE;
    private int rttSampleCount;
    /** In Conservative Slow Start: the RTT baseline, and the rounds spent there. */
    private boolean css;
    private long cssBaselineMinRtt;
    private int cssRounds;
    private int cssAcked;

    public Cubic(StackStats stats) {
        this.stats = stats;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void init(CongestionState s) {
        reset();
        hystartDone = false;
        startRound(s);
    }

    /** Linux bictcp_reset. */
    private void reset() {
        cnt = 0;
        lastMaxCwnd = 0;
        lastCwnd = 0;
        lastTimeMs = 0;
        originPoint = 0;
        kMs = 0;
        delayMinMicros = 0;
        epochStartMs = 0;
        ackCnt = 0;
        tcpCwnd = 0;
    }

    /** Linux cubictcp_recalc_ssthresh: the epoch ends; W_max with fast convergence; cwnd x beta. */
    @Override
    public int ssthresh(CongestionState s) {
        epochStartMs = 0;
        if (s.cwnd < lastMaxCwnd) {
            lastMaxCwnd = (int) ((long) s.cwnd * (BETA_SCALE + BETA) / (2 * BETA_SCALE));
        } else {
            lastMaxCwnd = s.cwnd;
        }
        hystartDone = true; // a congestion event ends the first slow start
        return Math.max((int) ((long) s.cwnd * BETA / BETA_SCALE), 2);
    }

    /** Linux cubictcp_cong_avoid, with HyStart++'s Conservative Slow Start. */
    @Override
    public void congAvoid(CongestionState s, int acked) {
        if (!s.isCwndLimited()) {
            return;
        }
        if (s.inSlowStart()) {
            if (css) {
                // RFC 9406 4.2: a quarter of slow start's growth
                cssAcked += acked;
                int grow = cssAcked / CSS_GROWTH_DIVISOR;
                cssAcked -= grow * CSS_GROWTH_DIVISOR;
                s.cwnd = Math.min(s.cwnd + grow, s.ssthresh);
                return;
            }
            acked = s.slowStart(acked);
            if (acked == 0) {
                return;
            }
        }
        update(s, acked);
        s.congAvoidAi(cnt, acked);
    }

    /** Linux bictcp_update: cnt, the ACKs per +1 of cwnd, from the cubic target one min RTT ahead. */
    private void update(CongestionState s, int acked) {
        int cwnd = s.cwnd;
        long now = s.nowMicros / 1000;
        ackCnt += acked;
        if (lastCwnd == cwnd && now - lastTimeMs <= 1000 / 32) {
            return;
        }
        if (epochStartMs == 0 || now != lastTimeMs) {
            lastCwnd = cwnd;
            lastTimeMs = now;
            if (epochStartMs == 0) {
                epochStartMs = Math.max(now, 1);
                ackCnt = acked;
                tcpCwnd = cwnd;
                if (lastMaxCwnd <= cwnd) {
                    kMs = 0;
                    originPoint = cwnd;
                } else {
                    kMs = Math.round(Math.cbrt((lastMaxCwnd - cwnd) / C) * 1000);
                    originPoint = lastMaxCwnd;
                }
            }
            long tMs = now - epochStartMs + (delayMinMicros + 999) / 1000;
            double target = originPoint + C * Math.pow((tMs - kMs) / 1000.0, 3);
            int bicTarget = (int) Math.max(0, Math.min(target, Integer.MAX_VALUE / 2.0));
            cnt = bicTarget > cwnd ? cwnd / (bicTarget - cwnd) : 100 * cwnd;
            if (lastMaxCwnd == 0 && cnt > 20) {
                cnt = 20; // the first epoch grows at least 5% per RTT
            }
        }
        // RFC 9438 4.3 (Linux tcp_friendliness): never slower than Reno with the same beta
        int delta = (cwnd * FRIENDLY_SCALE) >> 3;
        while (delta > 0 && ackCnt > delta) {
            ackCnt -= delta;
            tcpCwnd++;
        }
        if (tcpCwnd > cwnd) {
            int maxCnt = cwnd / (tcpCwnd - cwnd);
            cnt = Math.min(cnt, maxCnt);
        }
        cnt = Math.max(cnt, 2); // at most 1.5x per RTT
    }

    /** Linux cubictcp_cwnd_event: after an idle period the epoch moves on by the time spent idle. */
    @Override
    public void cwndEvent(CongestionState s, CwndEvent event) {
        if (event == CwndEvent.TX_START && epochStartMs != 0) {
            long now = s.nowMicros / 1000;
            long idle = now - s.lastSendMs;
            if (idle > 0) {
                epochStartMs = Math.min(epochStartMs + idle, now);
            }
        }
    }

    /** Linux cubictcp_state: a timeout starts afresh. */
    @Override
    public void setState(CongestionState s, CaState state) {
        if (state == CaState.LOSS) {
            reset();
            css = false;
        }
    }

    /** Linux cubictcp_acked: the minimum delay, and HyStart++'s RTT rounds in the first slow start. */
    @Override
    public void pktsAcked(CongestionState s, int acked, long rttMicros) {
        if (rttMicros < 0) {
            return;
        }
        if (epochStartMs != 0 && s.nowMicros / 1000 - epochStartMs < 1000) {
            return; // right after a reduction the delay still carries its queue (Linux)
        }
        long delay = Math.max(rttMicros, 1);
        if (delayMinMicros == 0 || delayMinMicros > delay) {
            delayMinMicros = delay;
        }
        if (!hystartDone && s.inSlowStart()) {
            hystartPlusPlus(s, delay);
        }
    }

    /** RFC 9406 4.2, per RTT sample in slow start. */
    private void hystartPlusPlus(CongestionState s, long rtt) {
        if (roundActive && SeqNum.gt(s.sndUna, windowEnd)) {
            endRound(s);
        }
        currentRoundMinRtt = Math.min(currentRoundMinRtt, rtt);
        rttSampleCount++;
        if (rttSampleCount < N_RTT_SAMPLE || currentRoundMinRtt == Long.MAX_VALUE || lastRoundMinRtt == Long.MAX_VALUE) {
            return;
        }
        if (!css) {
            long thresh = Math.max(MIN_RTT_THRESH_MICROS, Math.min(lastRoundMinRtt / MIN_RTT_DIVISOR, MAX_RTT_THRESH_MICROS));
            if (currentRoundMinRtt >= lastRoundMinRtt + thresh) {
                css = true;
                cssBaselineMinRtt = currentRoundMinRtt;
                cssRounds = 0;
                cssAcked = 0;
                stats.inc(Counter.TcpExtTCPHystartDelayDetect);
                stats.add(Counter.TcpExtTCPHystartDelayCwnd, s.cwnd);
            }
        } else if (currentRoundMinRtt < cssBaselineMinRtt) {
            css = false; // the RTT rise was spurious: back to slow start
        }
    }

    private void endRound(CongestionState s) {
        lastRoundMinRtt = currentRoundMinRtt;
        if (css && ++cssRounds >= CSS_ROUNDS) {
            // RFC 9406 4.2: after CSS_ROUNDS, congestion avoidance from here
            s.ssthresh = s.cwnd;
            css = false;
            hystartDone = true;
        }
        startRound(s);
    }

    private void startRound(CongestionState s) {
        windowEnd = s.sndNxt;
        roundActive = true;
        currentRoundMinRtt = Long.MAX_VALUE;
        rttSampleCount = 0;
    }

    /** Linux tcp_reno_undo_cwnd (CUBIC's undo_cwnd). */
    @Override
    public int undoCwnd(CongestionState s) {
        return Math.max(s.cwnd, s.priorCwnd);
    }

    /** Whether HyStart++ is in Conservative Slow Start (for ss and tests). */
    public boolean inConservativeSlowStart() {
        return css;
    }
}
