package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.time.Timeout;
import io.tcpstack.trace.Rule;

/**
 * The per-connection timers (Linux tcp_timer.c): retransmission (RFC 6298) and its SYN
 * schedule, zero-window probes (persist), delayed ACK and keepalive. All run under the Tcb lock.
 */
final class TcpTimers {
    private TcpTimers() {}

    private static final long NANOS_PER_MS = 1_000_000L;

    static void schedule(Tcb tcb, Timeout timeout, long delayMs) {
        tcb.layer.timers().schedule(timeout, tcb.layer.clock().nanos() + delayMs * NANOS_PER_MS);
    }

    static void cancelAll(Tcb tcb) {
        tcb.layer.timers().cancel(tcb.retransmitTimer);
        tcb.layer.timers().cancel(tcb.delackTimer);
        tcb.layer.timers().cancel(tcb.keepaliveTimer);
        tcb.retransmitKind = Tcb.TimerKind.NONE;
    }

    // ---- the retransmission timer (Linux icsk_retransmit_timer: RTO, reordering, loss probe, zero-window probe)

    /**
     * Arms the retransmission timer for {@code kind}, {@code micros} from now, in whole
     * milliseconds rounded up as Linux's jiffies at HZ=1000 (inet_csk_reset_xmit_timer with
     * usecs_to_jiffies), at most rto_max.
     */
    static void resetXmitTimer(Tcb tcb, Tcb.TimerKind kind, long micros) {
        tcb.retransmitKind = kind;
        long ms = Math.min(Math.max((micros + 999) / 1000, 1), tcb.layer.settings().rtoMaxMs);
        schedule(tcb, tcb.retransmitTimer, ms);
    }

    /** The SYN or SYN-ACK just sent: its retransmission timer at the current RTO (RFC 6298 5.1). */
    static void armSynRetransmit(Tcb tcb) {
        resetXmitTimer(tcb, Tcb.TimerKind.RETRANSMIT, tcb.rtt.rtoMicros());
    }

    /**
     * Linux tcp_rearm_rto: with nothing in flight, no timer (a zero-window probe stays); else the
     * RTO from now, or, while a loss probe or reordering timer is pending, what is left of the RTO
     * of the head's last transmission.
     */
    static void rearmRto(Tcb tcb) {
        if (tcb.rtx.isEmpty()) {
            if (tcb.state.isSynchronized() && tcb.retransmitKind != Tcb.TimerKind.PERSIST
                    && tcb.retransmitKind != Tcb.TimerKind.NONE) {
                tcb.layer.timers().cancel(tcb.retransmitTimer);
                tcb.retransmitKind = Tcb.TimerKind.NONE;
            }
            return;
        }
        long rto = tcb.rtt.rtoMicros();
        if (tcb.retransmitKind == Tcb.TimerKind.REO_TIMEOUT || tcb.retransmitKind == Tcb.TimerKind.LOSS_PROBE) {
            rto = Math.max(rtoDeltaMicros(tcb), 1);
        }
        resetXmitTimer(tcb, Tcb.TimerKind.RETRANSMIT, rto);
    }

    /** Linux tcp_rto_delta_us: how far in the future the RTO of the head's last transmission is. */
    static long rtoDeltaMicros(Tcb tcb) {
        RetransmitQueue q = tcb.rtx;
        long sent = q.sentNanos(q.slot(0));
        return tcb.rtt.rtoMicros() - (tcb.layer.clock().nanos() - sent) / 1000;
    }

    static void onRetransmitTimer(Tcb tcb, long nowNanos) {
        switch (tcb.retransmitKind) {
            case PERSIST -> onProbeTimer(tcb);
            case REO_TIMEOUT -> tcb.layer.recovery().reoTimeout(tcb);
            case LOSS_PROBE -> TailLossProbe.send(tcb);
            case RETRANSMIT -> {
                tcb.retransmitKind = Tcb.TimerKind.NONE;
                if (tcb.state == TcpState.SYN_SENT || tcb.state == TcpState.SYN_RECEIVED) {
                    synTimeout(tcb);
                } else if (!tcb.rtx.isEmpty()) {
                    dataTimeout(tcb);
                }
            }
            case NONE -> {
            }
        }
    }

    /** Linux tcp_retransmit_timer in SYN-SENT (tcp_syn_retries, linear timeouts) and for a SYN-ACK (tcp_synack_retries). */
    private static void synTimeout(Tcb tcb) {
        TcpLayer layer = tcb.layer;
        TcpSettings settings = layer.settings();
        layer.trace().timer(tcb, Rule.RETRANSMISSION_TIMEOUT, "retransmission timeout (" + tcb.retransmits + " retransmitted before)");
        boolean active = tcb.state == TcpState.SYN_SENT;
        int limit = active ? settings.synRetries + settings.synLinearTimeouts : settings.synackRetries;
        if (tcb.retransmits >= limit) {
            layer.stats().inc(Counter.TcpExtTCPAbortOnTimeout);
            // a passive open that never completes disappears silently (Linux reqsk_timer_handler)
            layer.states().close(tcb, active ? TcpError.TIMED_OUT : null, false);
            return;
        }
        tcb.retransmits++;
        if (tcb.retransStampMs == 0) {
            tcb.retransStampMs = layer.nowMs();
        }
        rethinkFlowLabel(tcb);
        layer.stats().inc(active ? Counter.TcpExtTCPSynRetrans : Counter.TcpExtTCPTimeouts);
        layer.stats().inc(Counter.TcpRetransSegs);
        layer.trace().cause(tcb, Rule.SYN_RETRANSMIT);
        layer.output().sendSyn(tcb);
        // Linux >= 6.5 tcp_syn_linear_timeouts: the first N SYN timeouts stay at the initial RTO
        if (!active || tcb.retransmits > settings.synLinearTimeouts) {
            tcb.rtt.backoff();
        }
        armSynRetransmit(tcb);
    }

    /** Linux tcp_retransmit_timer for data: give up after retries2, else loss recovery from the timeout. */
    private static void dataTimeout(Tcb tcb) {
        TcpLayer layer = tcb.layer;
        layer.trace().timer(tcb, Rule.RETRANSMISSION_TIMEOUT, "retransmission timeout (" + tcb.retransmits + " retransmitted before)");
        int retries = layer.settings().retries2;
        if (tcb.orphan) {
            // Linux tcp_write_timeout for an orphan: tcp_orphan_retries, and tcp_out_of_resources
            boolean alive = tcb.rtt.rtoMicros() < layer.settings().rtoMaxMs * 1000;
            retries = layer.limits().orphanRetries(alive);
            if (layer.limits().orphanOutOfResources(tcb, alive || !retransmitsTimedOut(tcb, retries, layer.nowMs()))) {
                return;
            }
        }
        if (retransmitsTimedOut(tcb, retries, layer.nowMs())) {
            layer.stats().inc(Counter.TcpExtTCPAbortOnTimeout);
            layer.states().close(tcb, TcpError.TIMED_OUT, false); // Linux tcp_write_err: no RST
            return;
        }
        layer.stats().inc(Counter.TcpExtTCPTimeouts);
        rethinkFlowLabel(tcb);
        LossState.retransmitTimeout(tcb);
    }

    /**
     * Linux tcp_write_timeout's sk_rethink_txhash (net.core.txrehash 1): every retransmission
     * timeout draws a new flow hash, so an IPv6 flow label that a broken path keys on changes
     * (TcpExtTcpTimeoutRehash).
     */
    private static void rethinkFlowLabel(Tcb tcb) {
        tcb.flowLabel = tcb.layer.handshake().newFlowLabel();
        tcb.layer.stats().inc(Counter.TcpExtTcpTimeoutRehash);
    }

    /**
     * Linux retransmits_timed_out with tcp_model_timeout: the time {@code boundary} exponential
     * backoffs from TCP_RTO_MIN would take (linear at TCP_RTO_MAX past the cap), measured from the
     * first retransmission. For retries2 = 15: 924.6 s.
     */
    static boolean retransmitsTimedOut(Tcb tcb, int boundary, long nowMs) {
        if (tcb.retransmits == 0) {
            return false;
        }
        return nowMs - tcb.retransStampMs >= modelTimeoutMs(boundary, tcb.layer.settings().rtoMinMs,
                tcb.layer.settings().rtoMaxMs);
    }

    static long modelTimeoutMs(int boundary, long rtoBaseMs, long rtoMaxMs) {
        int linearBackoffThresh = 63 - Long.numberOfLeadingZeros(rtoMaxMs / rtoBaseMs);
        if (boundary <= linearBackoffThresh) {
            return ((2L << boundary) - 1) * rtoBaseMs;
        }
        return ((2L << linearBackoffThresh) - 1) * rtoBaseMs + (long) (boundary - linearBackoffThresh) * rtoMaxMs;
    }

    // ---- persist (zero-window probes)

    /** Linux tcp_check_probe_timer: data waiting, nothing in flight, window closed -> probe timer. */
    static void checkPersist(Tcb tcb) {
        if (tcb.rtx.isEmpty() && tcb.unsentBytes() > 0 && tcb.retransmitKind == Tcb.TimerKind.NONE) {
            tcb.retransmitKind = Tcb.TimerKind.PERSIST;
            schedule(tcb, tcb.retransmitTimer, probeInterval(tcb));
        }
    }

    /** Linux tcp_probe0_when: max(RTO, TCP_RTO_MIN) doubled per unanswered probe, capped at 120 s. */
    private static long probeInterval(Tcb tcb) {
        long base = Math.max(tcb.rtt.baseRtoMicros() / 1000, tcb.layer.settings().rtoMinMs);
        return Math.min(base << Math.min(tcb.probesOut, 20), tcb.layer.settings().rtoMaxMs);
    }

    /**
     * Linux tcp_probe_timer and tcp_write_wakeup: data where the window has opened, else a
     * zero-window probe, backing off; the connection is dropped after retries2 unanswered probes.
     */
    private static void onProbeTimer(Tcb tcb) {
        tcb.retransmitKind = Tcb.TimerKind.NONE;
        if (!tcb.rtx.isEmpty() || tcb.unsentBytes() == 0) {
            tcb.probesOut = 0;
            return;
        }
        if (DataTransmit.sendIntoWindow(tcb)) {
            tcb.probesOut = 0;
            return;
        }
        int maxProbes = tcb.layer.settings().retries2;
        if (tcb.orphan) {
            // Linux tcp_probe_timer for an orphan: tcp_orphan_retries, and tcp_out_of_resources
            maxProbes = tcb.layer.limits().orphanRetries(probeInterval(tcb) < tcb.layer.settings().rtoMaxMs);
            if (tcb.layer.limits().orphanOutOfResources(tcb, true)) {
                return;
            }
        }
        if (tcb.probesOut >= maxProbes) {
            tcb.layer.stats().inc(Counter.TcpExtTCPAbortOnTimeout);
            tcb.layer.states().close(tcb, TcpError.TIMED_OUT, false);
            return;
        }
        tcb.layer.stats().inc(Counter.TcpExtTCPWinProbe);
        tcb.layer.trace().cause(tcb, Rule.WINDOW_PROBE);
        tcb.layer.output().sendProbe(tcb);
        tcb.probesOut++;
        tcb.retransmitKind = Tcb.TimerKind.PERSIST;
        schedule(tcb, tcb.retransmitTimer, probeInterval(tcb));
    }

    // ---- delayed ACK

    /** Linux tcp_send_delayed_ack: ACK within the ATO (40 ms .. 200 ms) unless one is pending. */
    static void scheduleDelayedAck(Tcb tcb) {
        tcb.ackPending = true;
        if (!tcb.delackTimer.isArmed()) {
            TcpSettings s = tcb.layer.settings();
            schedule(tcb, tcb.delackTimer, Math.max(s.delackMinMs, Math.min(tcb.atoMs, s.delackMaxMs)));
        }
    }

    static void onDelackTimer(Tcb tcb, long nowNanos) {
        if (tcb.ackPending) {
            tcb.layer.stats().inc(Counter.TcpExtDelayedACKs);
            tcb.layer.trace().cause(tcb, Rule.DELAYED_ACK);
            tcb.layer.output().sendAck(tcb);
        }
    }

    /** Every ACK we send settles what the delayed-ACK machinery owed (Linux tcp_event_ack_sent). */
    static void onAckSent(Tcb tcb) {
        if (tcb.ackPending || tcb.delackTimer.isArmed()) {
            tcb.layer.timers().cancel(tcb.delackTimer);
        }
        if (tcb.segmentsSinceAck > 0 && tcb.quickAcks > 0) {
            tcb.quickAcks = Math.max(0, tcb.quickAcks - tcb.segmentsSinceAck);
        }
        tcb.ackPending = false;
        tcb.segmentsSinceAck = 0;
    }

    // ---- keepalive

    /**
     * Linux tcp_ack: every acceptable ACK is a sign of life (rcv_tstamp, which keepalive's idle
     * time counts from); a keepalive probe's answer is such an ACK.
     */
    static void onAckReceived(Tcb tcb) {
        tcb.lastActivityMs = tcb.layer.nowMs();
    }

    /** TCP_KEEPIDLE, else tcp_keepalive_time (Linux keepalive_time_when). */
    static long keepaliveTimeMs(Tcb tcb) {
        return tcb.keepIdleMs > 0 ? tcb.keepIdleMs : tcb.layer.settings().keepaliveTimeMs;
    }

    /** TCP_KEEPINTVL, else tcp_keepalive_intvl (Linux keepalive_intvl_when). */
    private static long keepaliveIntvlMs(Tcb tcb) {
        return tcb.keepIntvlMs > 0 ? tcb.keepIntvlMs : tcb.layer.settings().keepaliveIntvlMs;
    }

    /** TCP_KEEPCNT, else tcp_keepalive_probes (Linux keepalive_probes). */
    private static int keepaliveProbes(Tcb tcb) {
        return tcb.keepCnt > 0 ? tcb.keepCnt : tcb.layer.settings().keepaliveProbes;
    }

    static void armKeepalive(Tcb tcb) {
        if (tcb.keepAlive && tcb.state.isSynchronized()) {
            schedule(tcb, tcb.keepaliveTimer, Math.max(keepaliveTimeMs(tcb) - (tcb.layer.nowMs() - tcb.lastActivityMs), 0));
        } else {
            tcb.layer.timers().cancel(tcb.keepaliveTimer);
        }
    }

    /** Linux tcp_keepalive_timer: after the idle time, probes every interval; RST after the last. */
    static void onKeepaliveTimer(Tcb tcb, long nowNanos) {
        if (!tcb.keepAlive || !tcb.state.isSynchronized() || tcb.state == TcpState.TIME_WAIT) {
            return;
        }
        long idle = tcb.layer.nowMs() - tcb.lastActivityMs;
        long time = keepaliveTimeMs(tcb);
        if (idle < time && tcb.probesOut == 0) {
            schedule(tcb, tcb.keepaliveTimer, time - idle);
            return;
        }
        if (tcb.probesOut >= keepaliveProbes(tcb)) {
            tcb.layer.output().sendReset(tcb);
            tcb.layer.stats().inc(Counter.TcpExtTCPAbortOnTimeout);
            tcb.layer.states().close(tcb, TcpError.TIMED_OUT, false);
            return;
        }
        tcb.layer.stats().inc(Counter.TcpExtTCPKeepAlive);
        tcb.layer.trace().cause(tcb, Rule.KEEPALIVE);
        tcb.layer.output().sendProbe(tcb);
        tcb.probesOut++;
        schedule(tcb, tcb.keepaliveTimer, keepaliveIntvlMs(tcb));
    }
}
