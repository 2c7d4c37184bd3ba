package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.SynResend;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;

/**
 * SEGMENT ARRIVES for a connection (RFC 9293 3.10.7.3 and 3.10.7.4; Linux tcp_rcv_state_process,
 * tcp_validate_incoming, tcp_ack, tcp_data_queue, tcp_fin). Runs under the Tcb lock.
 */
final class TcpInput {
    private final TcpLayer layer;
    private final StackStats stats;

    TcpInput(TcpLayer layer) {
        this.layer = layer;
        this.stats = layer.stats();
    }

    void process(Tcb tcb, Segment seg) {
        if (tcb.state == TcpState.SYN_SENT) {
            synSent(tcb, seg);
        } else {
            otherStates(tcb, seg);
        }
        if (tcb.state != TcpState.CLOSED) {
            DataTransmit.push(tcb);
        }
    }

    // ---- SYN-SENT (RFC 9293 3.10.7.3; Linux tcp_rcv_synsent_state_process)

    private void synSent(Tcb tcb, Segment seg) {
        if (seg.has(TcpView.ACK)) {
            // first: SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable
            if (!SeqNum.gt(seg.ack, tcb.sndUna) || SeqNum.gt(seg.ack, tcb.sndNxt)) {
                unacceptableAckInSynSent(tcb, seg);
                return;
            }
            // Linux: a TSecr that is not between our first SYN's TSval and now fails PAWS
            TcpOptions o = seg.options;
            if (tcb.tsOk && o.hasTimestamp && o.tsEcr != 0
                    && !SeqNum.between(o.tsEcr, tcb.synTsVal, tcb.tsVal())) {
                stats.inc(Counter.TcpExtPAWSActive);
                layer.states().drop(tcb, seg, DropReason.TCP_RFC7323_PAWS);
                layer.trace().cause(null, Rule.RST_BAD_ACK);
                layer.bareSegments().sendResetFor(seg);
                return;
            }
        }
        if (seg.has(TcpView.RST)) {
            if (seg.has(TcpView.ACK)) {
                layer.states().reset(tcb); // "error: connection reset", ECONNREFUSED
            } else {
                layer.states().drop(tcb, seg, DropReason.TCP_FLAGS);
            }
            return;
        }
        if (!seg.has(TcpView.SYN)) {
            layer.states().drop(tcb, seg, DropReason.TCP_FLAGS);
            return;
        }
        tcb.irs = seg.seq;
        tcb.rcvNxt = seg.seq + 1;
        tcb.rcvWup = tcb.rcvNxt;
        layer.handshake().negotiate(tcb, seg.options);
        Ecn.onSynAck(tcb, seg);
        if (tcb.tsOk && seg.options.hasTimestamp) {
            tcb.tsRecent = seg.options.tsVal;
            tcb.tsRecentStampMs = layer.nowMs();
        }
        // RFC 7323 2.2: the window of a SYN is never scaled
        tcb.sndWnd = seg.window;
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
        tcb.sndWl1 = seg.seq;
        if (seg.has(TcpView.ACK)) {
            tcb.sndUna = seg.ack;
            synAckRttSample(tcb, seg);
            layer.states().established(tcb);
            layer.trace().cause(tcb, Rule.HANDSHAKE_ACK);
            layer.output().sendAck(tcb);
            if (seg.payloadLength > 0 || seg.has(TcpView.FIN)) {
                layer.receive().segment(tcb, seg, seg.seq + 1);
            }
        } else {
            // simultaneous open: SYN-RECEIVED, SYN-ACK with the same ISS
            layer.states().setState(tcb, TcpState.SYN_RECEIVED);
            layer.trace().cause(tcb, Rule.SIMULTANEOUS_OPEN);
            layer.output().sendSyn(tcb);
        }
    }

    /**
     * An ACK that does not acknowledge our SYN (stack/BEHAVIOURS.md 2): RST with seq = SEG.ACK, stay in
     * SYN-SENT, and with syn-resend timeout-min resend the SYN after TCP_TIMEOUT_MIN if none was
     * retransmitted yet (Linux >= 5.6, 9603d47bad46).
     */
    private void unacceptableAckInSynSent(Tcb tcb, Segment seg) {
        TcpSettings settings = layer.settings();
        if (settings.synResend == SynResend.TIMEOUT_MIN && tcb.retransmits == 0) {
            TcpTimers.resetXmitTimer(tcb, Tcb.TimerKind.RETRANSMIT, settings.timeoutMinMs * 1000);
            layer.trace().note(tcb, Rule.UNACCEPTABLE_ACK_TIMEOUT_MIN, "unacceptable ACK in SYN-SENT: RST, SYN resend in " + settings.timeoutMinMs
                    + " ms (timeout-min)");
        } else {
            layer.trace().note(tcb, Rule.UNACCEPTABLE_ACK_RTO_INIT, "unacceptable ACK in SYN-SENT: RST, SYN resend when the retransmission timer fires"
                    + (settings.synResend == SynResend.RTO_INIT ? " (rto-init)" : " (an early resend was used)"));
        }
        layer.states().drop(tcb, seg, DropReason.TCP_INVALID_ACK_SEQUENCE);
        layer.trace().cause(null, Rule.RST_BAD_ACK);
        layer.bareSegments().sendResetFor(seg);
    }

    /**
     * The handshake's RTT (Linux tcp_ack_update_rtt for the SYN): from our SYN's send time if it
     * went once (Karn), else from the echoed timestamp; RFC 6298 5.7's 3 s when neither exists.
     */
    private void synAckRttSample(Tcb tcb, Segment seg) {
        long rtt;
        if (tcb.retransmits == 0) {
            rtt = Math.max(1, (layer.clock().nanos() - tcb.rttStartNanos) / 1000);
        } else if (tcb.tsOk && seg.options.hasTimestamp && seg.options.tsEcr != 0) {
            rtt = tcb.tsTicksToMicros(Math.max(1, tcb.tsVal() - seg.options.tsEcr));
        } else {
            tcb.rtt.fallback();
            return;
        }
        RttSampling.sample(tcb, rtt, rtt);
    }

    // ---- synchronized states and SYN-RECEIVED (RFC 9293 3.10.7.4)

    /** Linux TCP_PAWS_WINDOW: timestamps this many ticks behind TS.Recent still pass. */
    private static final int PAWS_WINDOW = 1;
    /** Linux TCP_PAWS_24DAYS: a TS.Recent this old is no longer trusted (RFC 7323 5.5). */
    private static final long PAWS_24DAYS_MS = 24L * 24 * 3600 * 1000;

    private void otherStates(Tcb tcb, Segment seg) {
        TcpOptions o = seg.options;
        // RFC 7323 5.3: PAWS. An RST is accepted even if it fails (Linux).
        if (tcb.tsOk && o.hasTimestamp && !seg.has(TcpView.RST) && pawsReject(tcb, seg)) {
            if (seg.has(TcpView.SYN)) {
                synChallenge(tcb, seg);
                return;
            }
            stats.inc(Counter.TcpExtPAWSEstab);
            layer.states().drop(tcb, seg, DropReason.TCP_RFC7323_PAWS);
            sendOutOfWindowAck(tcb, seg, Counter.TcpExtTCPACKSkippedPAWS);
            return;
        }
        // first: sequence number acceptable? (Linux tcp_sequence)
        if (!acceptable(tcb, seg)) {
            if (!seg.has(TcpView.RST)) {
                if (seg.has(TcpView.SYN)) {
                    synChallenge(tcb, seg);
                    return;
                }
                sendOutOfWindowAck(tcb, seg, Counter.TcpExtTCPACKSkippedSeq);
            }
            // Linux tcp_sequence (6.x): wholly before rcv.wup is an old duplicate, else beyond the window
            layer.states().drop(tcb, seg, SeqNum.lt(seg.endSeq(), tcb.rcvWup) ? DropReason.TCP_OLD_SEQUENCE
                    : tcb.rcvWnd == 0 ? DropReason.TCP_ZEROWINDOW : DropReason.TCP_INVALID_SEQUENCE);
            return;
        }
        // second: RST (RFC 5961 3.2)
        if (seg.has(TcpView.RST)) {
            if (seg.seq == tcb.rcvNxt) {
                layer.states().reset(tcb);
            } else {
                challengeAck(tcb);
                layer.states().drop(tcb, seg, DropReason.TCP_RESET_CHALLENGE);
            }
            return;
        }
        // fourth: SYN (RFC 5961 4)
        if (seg.has(TcpView.SYN) && !simultaneousOpenSynAck(tcb, seg)) {
            if (tcb.state == TcpState.SYN_RECEIVED && seg.seq == tcb.irs && !seg.has(TcpView.ACK)) {
                layer.trace().cause(tcb, Rule.SYN_RETRANSMIT);
                layer.output().sendSyn(tcb); // the peer resent its SYN: our SYN-ACK was lost
                return;
            }
            synChallenge(tcb, seg);
            return;
        }
        // fifth: ACK
        if (!seg.has(TcpView.ACK)) {
            layer.states().drop(tcb, seg, DropReason.TCP_FLAGS);
            return;
        }
        if (tcb.state == TcpState.SYN_RECEIVED) {
            if (!SeqNum.gt(seg.ack, tcb.sndUna) || SeqNum.gt(seg.ack, tcb.sndNxt)) {
                layer.states().drop(tcb, seg, DropReason.TCP_INVALID_ACK_SEQUENCE);
                layer.trace().cause(null, Rule.RST_BAD_ACK);
                layer.bareSegments().sendResetFor(seg);
                return;
            }
            if (layer.listenInput().acceptQueueOverflow(tcb, seg)) {
                return;
            }
            synAckRttSample(tcb, seg);
            tcb.sndWnd = seg.window << tcb.sndWscale;
            tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
            tcb.sndWl1 = seg.seq;
                layer.states().established(tcb);
            if (seg.has(TcpView.SYN)) {
                layer.trace().cause(tcb, Rule.HANDSHAKE_ACK);
                layer.output().sendAck(tcb); // simultaneous open: the SYN-ACK is a retransmission for us
            }
        }
        if (!layer.ack().process(tcb, seg)) {
            return;
        }
        // RFC 7323 4.3: remember TS.Recent from a segment that covers the last ACK we sent, once
        // its ACK proved acceptable (Linux tcp_ack with FLAG_UPDATE_TS_RECENT: a segment that
        // acknowledges unsent data must not move TS.Recent, or PAWS then drops the real ones)
        if (tcb.tsOk && o.hasTimestamp && SeqNum.le(seg.seq, tcb.rcvWup) && SeqNum.ge(o.tsVal, tcb.tsRecent)) {
            tcb.tsRecent = o.tsVal;
            tcb.tsRecentStampMs = layer.nowMs();
        }
        if (tcb.finAcked && !ourFinAckedStateChange(tcb, seg)) {
            return;
        }
        // sixth/seventh/eighth: URG is ignored (data is delivered inline); text; FIN
        if (seg.payloadLength > 0 || seg.has(TcpView.FIN)) {
            layer.receive().segment(tcb, seg, seg.seq);
        }
    }

    /**
     * Linux tcp_validate_incoming: in a simultaneous open the peer's SYN-ACK reaches us in
     * SYN-RECEIVED; it is no attack when it acknowledges our SYN and repeats its own.
     */
    private static boolean simultaneousOpenSynAck(Tcb tcb, Segment seg) {
        return tcb.state == TcpState.SYN_RECEIVED && tcb.listener == null && seg.has(TcpView.ACK)
                && seg.length() == 1 && seg.seq + 1 == tcb.rcvNxt && seg.ack == tcb.sndNxt;
    }

    /**
     * The transitions when our FIN is acknowledged (RFC 9293 3.10.7.4 fifth). Returns false when
     * the segment needs no further processing.
     */
    private boolean ourFinAckedStateChange(Tcb tcb, Segment seg) {
        switch (tcb.state) {
            case FIN_WAIT_1 -> {
                layer.states().setState(tcb, TcpState.FIN_WAIT_2);
                if (tcb.orphan) {
                    // Linux: new data after close() aborts (TCPAbortOnData, RFC 1122 4.2.2.13)
                    if (seg.payloadLength > 0 && SeqNum.gt(seg.endSeq() - (seg.has(TcpView.FIN) ? 1 : 0), tcb.rcvNxt)) {
                        stats.inc(Counter.TcpExtTCPAbortOnData);
                        layer.output().sendReset(tcb);
                        layer.states().close(tcb, TcpError.ABORTED, false);
                        return false;
                    }
                    if (!seg.has(TcpView.FIN)) {
                        // Linux tcp_rcv_state_process: an orphan becomes a FIN_WAIT_2 record
                        layer.timeWait().enter(tcb, TcpState.FIN_WAIT_2);
                        return false;
                    }
                }
                return true;
            }
            case CLOSING -> {
                layer.timeWait().enter(tcb, TcpState.TIME_WAIT);
                return false;
            }
            case LAST_ACK -> {
                layer.states().close(tcb, null, false);
                return false;
            }
            default -> {
                return true;
            }
        }
    }

    /**
     * RFC 7323 5.3 R1 as Linux tcp_paws_discard applies it: TSval older than TS.Recent by more
     * than TCP_PAWS_WINDOW (1 tick), unless TS.Recent is over 24 days old or the segment is a
     * reordered duplicate ACK (tcp_disordered_ack): reordering must not cost ACKs.
     */
    private boolean pawsReject(Tcb tcb, Segment seg) {
        int behind = tcb.tsRecent - seg.options.tsVal;
        return behind > PAWS_WINDOW && layer.nowMs() - tcb.tsRecentStampMs <= PAWS_24DAYS_MS
                && !disorderedAck(tcb, seg, behind);
    }

    /** Linux tcp_disordered_ack: a pure duplicate ACK, no window update, within one RTO of TS.Recent. */
    private static boolean disorderedAck(Tcb tcb, Segment seg, int behind) {
        int window = seg.window << tcb.sndWscale;
        return seg.has(TcpView.ACK) && seg.length() == 0 && seg.seq == tcb.rcvNxt && seg.ack == tcb.sndUna
                && !TcpAck.mayUpdateWindow(tcb, seg.ack, seg.seq, window)
                && behind <= tcb.rtt.rtoMicros() * 1024 / 1_000_000;
    }

    /**
     * Linux tcp_sequence: the segment ends at or after rcv.wup and starts at or before the right
     * edge of the window we offered (more lenient than RFC 9293's four cases: a zero-length
     * segment at rcv.nxt with a zero window, and data for a closed window, pass here and are
     * judged by the data queue).
     */
    private boolean acceptable(Tcb tcb, Segment seg) {
        int rightEdge = tcb.rcvWup + tcb.rcvWnd;
        return !SeqNum.lt(seg.endSeq(), tcb.rcvWup) && !SeqNum.gt(seg.seq, SeqNum.max(rightEdge, tcb.rcvNxt));
    }

    private void synChallenge(Tcb tcb, Segment seg) {
        stats.inc(Counter.TcpExtTCPSYNChallenge);
        challengeAck(tcb);
        layer.states().drop(tcb, seg, DropReason.TCP_SYN_CHALLENGE);
    }

    /** RFC 5961 3.2/4/5.2 challenge ACK, at most one per invalid_ratelimit (Linux >= 6.0: per socket only). */
    void challengeAck(Tcb tcb) {
        if (oowRateLimited(tcb)) {
            stats.inc(Counter.TcpExtTCPACKSkippedChallenge);
            return;
        }
        if (!layer.limits().challengeAckAllowed()) {
            return; // RFC 5961 7: the stack-wide budget (tcp_challenge_ack_limit)
        }
        stats.inc(Counter.TcpExtTCPChallengeACK);
        layer.trace().cause(tcb, Rule.CHALLENGE_ACK);
        layer.output().sendAck(tcb);
    }

    /**
     * A duplicate ACK for an unacceptable segment (RFC 9293 3.10.7.4 first), rate-limited like
     * Linux tcp_oow_rate_limited, which exempts segments that occupy sequence space (data or
     * FIN) without SYN.
     */
    void sendOutOfWindowAck(Tcb tcb, Segment seg, Counter skipped) {
        if ((seg.length() == 0 || seg.has(TcpView.SYN)) && oowRateLimited(tcb)) {
            stats.inc(skipped);
            return;
        }
        layer.receive().duplicateBeforeAck(tcb, seg);
        layer.trace().cause(tcb, Rule.OOW_ACK);
        layer.output().sendAck(tcb);
    }

    private boolean oowRateLimited(Tcb tcb) {
        long now = layer.nowMs();
        if (now - tcb.lastOowAckMs < layer.settings().invalidRatelimitMs) {
            return true;
        }
        tcb.lastOowAckMs = now;
        return false;
    }
}
