package io.tcpstack.tcp;

import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.time.Timeout;

/**
 * The per-connection timers (Linux tcp_timer.c): retransmission (RFC 6298) and its SYN
 * schedule, zero-window probes (persist), delayed ACK and keepalive. All run under the Tcb lock.
 */
final class TcpTimers {
    private TcpTimers() {}

    private static final long NANOS_PER_MS = 1_000_000L;

    static void schedule(Tcb tcb, Timeout timeout, long delayMs) {
        tcb.layer.wheel().schedule(timeout, tcb.layer.clock().nanos() + delayMs * NANOS_PER_MS);
    }

    static void cancelAll(Tcb tcb) {
        tcb.layer.wheel().cancel(tcb.retransmitTimer);
        tcb.layer.wheel().cancel(tcb.delackTimer);
        tcb.layer.wheel().cancel(tcb.keepaliveTimer);
        tcb.retransmitKind = Tcb.TimerKind.NONE;
    }

    // ---- retransmission

    /** RFC 6298 5.1: start the timer when a segment is sent and it is not running. */
    static void armRetransmit(Tcb tcb) {
        if (tcb.retransmitKind != Tcb.TimerKind.RETRANSMIT) {
            restartRetransmit(tcb);
        }
    }

    /** RFC 6298 5.2/5.3: stop when everything is acknowledged, restart when new data is. */
    static void restartRetransmit(Tcb tcb) {
        if (tcb.flightSize() == 0) {
            if (tcb.retransmitKind == Tcb.TimerKind.RETRANSMIT) {
                tcb.layer.wheel().cancel(tcb.retransmitTimer);
                tcb.retransmitKind = Tcb.TimerKind.NONE;
            }
            return;
        }
        tcb.retransmitKind = Tcb.TimerKind.RETRANSMIT;
        schedule(tcb, tcb.retransmitTimer, tcb.rtt.rtoMicros() / 1000);
    }

    /** Re-arms the retransmission timer to fire after {@code delayMs} (the early SYN resend). */
    static void rearmRetransmit(Tcb tcb, long delayMs) {
        tcb.retransmitKind = Tcb.TimerKind.RETRANSMIT;
        schedule(tcb, tcb.retransmitTimer, delayMs);
    }

    static void onRetransmitTimer(Tcb tcb, long nowNanos) {
        if (tcb.retransmitKind == Tcb.TimerKind.PERSIST) {
            onProbeTimer(tcb);
            return;
        }
        tcb.retransmitKind = Tcb.TimerKind.NONE;
        if (tcb.flightSize() == 0) {
            return;
        }
        TcpLayer layer = tcb.layer;
        TcpSettings settings = layer.settings();
        long now = layer.nowMs();
        layer.trace().timer(tcb, "retransmission timeout (" + tcb.retransmits + " retransmitted before)");
        if (tcb.state == TcpState.SYN_SENT || tcb.state == TcpState.SYN_RECEIVED) {
            boolean active = tcb.state == TcpState.SYN_SENT;
            int limit = active ? settings.synRetries + settings.synLinearTimeouts : settings.synackRetries;
            if (tcb.retransmits >= limit) {
                layer.stats().inc(Counter.TcpExtTCPAbortOnTimeout);
                // a passive open that never completes disappears silently (Linux reqsk_timer_handler)
                layer.close(tcb, active ? TcpError.TIMED_OUT : null, false);
                return;
            }
            tcb.retransmits++;
            if (tcb.retransStampMs == 0) {
                tcb.retransStampMs = now;
            }
            layer.stats().inc(active ? Counter.TcpExtTCPSynRetrans : Counter.TcpExtTCPTimeouts);
            layer.output().retransmitHead(tcb);
            // Linux >= 6.5 tcp_syn_linear_timeouts: the first N SYN timeouts stay at the initial RTO
            if (!active || tcb.retransmits > settings.synLinearTimeouts) {
                tcb.rtt.backoff();
            }
            tcb.retransmitKind = Tcb.TimerKind.RETRANSMIT;
            schedule(tcb, tcb.retransmitTimer, tcb.rtt.rtoMicros() / 1000);
            return;
        }
        int retries = settings.retries2;
        if (tcb.orphan) {
            // Linux tcp_write_timeout for an orphan: tcp_orphan_retries, and tcp_out_of_resources
            boolean alive = tcb.rtt.rtoMicros() < settings.rtoMaxMs * 1000;
            retries = layer.limits().orphanRetries(alive);
            if (layer.limits().orphanOutOfResources(tcb, alive || !retransmitsTimedOut(tcb, retries, now))) {
                return;
            }
        }
        if (retransmitsTimedOut(tcb, retries, now)) {
            layer.stats().inc(Counter.TcpExtTCPAbortOnTimeout);
            layer.close(tcb, TcpError.TIMED_OUT, false); // Linux tcp_write_err: no RST
            return;
        }
        layer.stats().inc(Counter.TcpExtTCPTimeouts);
        if (tcb.retransmits == 0) {
            // RFC 5681 3.1 eq. (4) and 3.5 (Linux tcp_enter_loss): halve, restart from one segment
            tcb.ssthresh = Math.max(inFlightSegments(tcb) / 2, 2);
            tcb.retransStampMs = now;
        }
        tcb.cwnd = 1;
        tcb.cwndCount = 0;
        tcb.dupAcks = 0;
        tcb.inRecovery = false;
        tcb.sackRecovery = false;
        if (tcb.scoreboard != null) {
            tcb.scoreboard.clear(); // go-back-N resends it all; SACKs of the resent data rebuild it
        }
        // go back N: everything after snd.una is sent again as the window opens. A FIN already
        // sent keeps its sequence number (finSent stays set), so an ACK of the first one still
        // acknowledges it (Linux: the FIN stays on its skb in the retransmit queue).
        tcb.sndNxt = tcb.sndUna;
        layer.output().retransmitHead(tcb);
        tcb.retransmits++;
        tcb.rtt.backoff();
        tcb.retransmitKind = Tcb.TimerKind.RETRANSMIT;
        schedule(tcb, tcb.retransmitTimer, tcb.rtt.rtoMicros() / 1000);
    }

    static int inFlightSegments(Tcb tcb) {
        return Math.max(1, (tcb.flightSize() + tcb.sndMss - 1) / Math.max(tcb.sndMss, 1));
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
        if (tcb.flightSize() == 0 && tcb.unsentBytes() > 0 && tcb.retransmitKind == Tcb.TimerKind.NONE) {
            tcb.retransmitKind = Tcb.TimerKind.PERSIST;
            schedule(tcb, tcb.retransmitTimer, probeInterval(tcb));
        }
    }

    /** Linux tcp_probe0_when: max(RTO, TCP_RTO_MIN) doubled per unanswered probe, capped at 120 s. */
    private static long probeInterval(Tcb tcb) {
        long base = Math.max(tcb.rtt.baseRtoMicros() / 1000, tcb.layer.settings().rtoMinMs);
        return Math.min(base << Math.min(tcb.probesOut, 20), tcb.layer.settings().rtoMaxMs);
    }

    private static void onProbeTimer(Tcb tcb) {
        tcb.retransmitKind = Tcb.TimerKind.NONE;
        if (tcb.flightSize() != 0 || tcb.unsentBytes() == 0) {
            tcb.probesOut = 0;
            return;
        }
        if (tcb.sndWnd > 0) {
            tcb.probesOut = 0;
            tcb.layer.output().push(tcb);
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
            tcb.layer.close(tcb, TcpError.TIMED_OUT, false);
            return;
        }
        tcb.layer.stats().inc(Counter.TcpExtTCPWinProbe);
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
            tcb.layer.output().sendAck(tcb);
        }
    }

    /** Every ACK we send settles what the delayed-ACK machinery owed (Linux tcp_event_ack_sent). */
    static void onAckSent(Tcb tcb) {
        if (tcb.ackPending || tcb.delackTimer.isArmed()) {
            tcb.layer.wheel().cancel(tcb.delackTimer);
        }
        if (tcb.segmentsSinceAck > 0 && tcb.quickAcks > 0) {
            tcb.quickAcks = Math.max(0, tcb.quickAcks - tcb.segmentsSinceAck);
        }
        tcb.ackPending = false;
        tcb.segmentsSinceAck = 0;
    }

    // ---- keepalive

    static void armKeepalive(Tcb tcb) {
        if (tcb.keepAlive && tcb.state.isSynchronized()) {
            schedule(tcb, tcb.keepaliveTimer, tcb.layer.settings().keepaliveTimeMs);
        } else {
            tcb.layer.wheel().cancel(tcb.keepaliveTimer);
        }
    }

    /** Linux tcp_keepalive_timer: after the idle time, probes every interval; RST after the last. */
    static void onKeepaliveTimer(Tcb tcb, long nowNanos) {
        if (!tcb.keepAlive || !tcb.state.isSynchronized() || tcb.state == TcpState.TIME_WAIT) {
            return;
        }
        TcpSettings s = tcb.layer.settings();
        long idle = tcb.layer.nowMs() - tcb.lastActivityMs;
        if (idle < s.keepaliveTimeMs && tcb.probesOut == 0) {
            schedule(tcb, tcb.keepaliveTimer, s.keepaliveTimeMs - idle);
            return;
        }
        if (tcb.probesOut >= s.keepaliveProbes) {
            tcb.layer.output().sendReset(tcb);
            tcb.layer.stats().inc(Counter.TcpExtTCPAbortOnTimeout);
            tcb.layer.close(tcb, TcpError.TIMED_OUT, false);
            return;
        }
        tcb.layer.stats().inc(Counter.TcpExtTCPKeepAlive);
        tcb.layer.output().sendProbe(tcb);
        tcb.probesOut++;
        schedule(tcb, tcb.keepaliveTimer, s.keepaliveIntvlMs);
    }
}
