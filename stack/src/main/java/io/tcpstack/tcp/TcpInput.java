package io.tcpstack.tcp;

import io.tcpstack.profile.SynResend;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
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
            layer.output().push(tcb);
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
                layer.drop(tcb, seg, DropReason.TCP_RFC7323_PAWS);
                layer.output().sendResetFor(seg);
                return;
            }
        }
        if (seg.has(TcpView.RST)) {
            if (seg.has(TcpView.ACK)) {
                layer.reset(tcb); // "error: connection reset", ECONNREFUSED
            } else {
                layer.drop(tcb, seg, DropReason.TCP_FLAGS);
            }
            return;
        }
        if (!seg.has(TcpView.SYN)) {
            layer.drop(tcb, seg, DropReason.TCP_FLAGS);
            return;
        }
        tcb.irs = seg.seq;
        tcb.rcvNxt = seg.seq + 1;
        tcb.rcvWup = tcb.rcvNxt;
        layer.negotiate(tcb, seg.options);
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
            layer.established(tcb);
            layer.output().sendAck(tcb);
            if (seg.payloadLength > 0 || seg.has(TcpView.FIN)) {
                receive(tcb, seg, seg.seq + 1);
            }
        } else {
            // simultaneous open: SYN-RECEIVED, SYN-ACK with the same ISS
            layer.setState(tcb, TcpState.SYN_RECEIVED);
            layer.output().sendSyn(tcb);
        }
    }

    /**
     * An ACK that does not acknowledge our SYN (BEHAVIOURS.md 2): RST with seq = SEG.ACK, stay in
     * SYN-SENT, and with syn-resend timeout-min resend the SYN after TCP_TIMEOUT_MIN if none was
     * retransmitted yet (Linux >= 5.6, 9603d47bad46).
     */
    private void unacceptableAckInSynSent(Tcb tcb, Segment seg) {
        TcpSettings settings = layer.settings();
        if (settings.synResend == SynResend.TIMEOUT_MIN && tcb.retransmits == 0) {
            TcpTimers.rearmRetransmit(tcb, settings.timeoutMinMs);
            layer.trace().note(tcb, "unacceptable ACK in SYN-SENT: RST, SYN resend in " + settings.timeoutMinMs
                    + " ms (timeout-min)");
        } else {
            layer.trace().note(tcb, "unacceptable ACK in SYN-SENT: RST, SYN resend when the retransmission timer fires"
                    + (settings.synResend == SynResend.RTO_INIT ? " (rto-init)" : " (an early resend was used)"));
        }
        layer.drop(tcb, seg, DropReason.TCP_INVALID_ACK_SEQUENCE);
        layer.output().sendResetFor(seg);
    }

    private void synAckRttSample(Tcb tcb, Segment seg) {
        if (tcb.tsOk && seg.options.hasTimestamp && seg.options.tsEcr != 0) {
            tcb.rtt.sample(Math.max(0, tcb.tsVal() - seg.options.tsEcr) * 1000L);
        } else if (tcb.retransmits == 0) {
            tcb.rtt.sample(Math.max(0, (layer.clock().nanos() - tcb.rttStartNanos) / 1000));
        } else {
            tcb.rtt.fallback(); // RFC 6298 5.7: 3 s after a handshake with retransmissions
        }
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
            layer.drop(tcb, seg, DropReason.TCP_RFC7323_PAWS);
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
            layer.drop(tcb, seg, DropReason.TCP_INVALID_SEQUENCE);
            return;
        }
        // second: RST (RFC 5961 3.2)
        if (seg.has(TcpView.RST)) {
            if (seg.seq == tcb.rcvNxt) {
                layer.reset(tcb);
            } else {
                challengeAck(tcb);
                layer.drop(tcb, seg, DropReason.TCP_RESET_CHALLENGE);
            }
            return;
        }
        // RFC 7323 4.3: remember TS.Recent from a segment that covers the last ACK we sent
        if (tcb.tsOk && o.hasTimestamp && SeqNum.le(seg.seq, tcb.rcvWup) && SeqNum.ge(o.tsVal, tcb.tsRecent)) {
            tcb.tsRecent = o.tsVal;
            tcb.tsRecentStampMs = layer.nowMs();
        }
        // fourth: SYN (RFC 5961 4)
        if (seg.has(TcpView.SYN) && !simultaneousOpenSynAck(tcb, seg)) {
            if (tcb.state == TcpState.SYN_RECEIVED && seg.seq == tcb.irs && !seg.has(TcpView.ACK)) {
                layer.output().sendSyn(tcb); // the peer resent its SYN: our SYN-ACK was lost
                return;
            }
            synChallenge(tcb, seg);
            return;
        }
        // fifth: ACK
        if (!seg.has(TcpView.ACK)) {
            layer.drop(tcb, seg, DropReason.TCP_FLAGS);
            return;
        }
        if (tcb.state == TcpState.SYN_RECEIVED) {
            if (!SeqNum.gt(seg.ack, tcb.sndUna) || SeqNum.gt(seg.ack, tcb.sndNxt)) {
                layer.drop(tcb, seg, DropReason.TCP_INVALID_ACK_SEQUENCE);
                layer.output().sendResetFor(seg);
                return;
            }
            if (layer.acceptQueueOverflow(tcb, seg)) {
                return;
            }
            synAckRttSample(tcb, seg);
            tcb.sndWnd = seg.window << tcb.sndWscale;
            tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
            tcb.sndWl1 = seg.seq;
                layer.established(tcb);
            if (seg.has(TcpView.SYN)) {
                layer.output().sendAck(tcb); // simultaneous open: the SYN-ACK is a retransmission for us
            }
        }
        if (!ack(tcb, seg)) {
            return;
        }
        if (tcb.finAcked && !ourFinAckedStateChange(tcb, seg)) {
            return;
        }
        // sixth/seventh/eighth: URG is ignored (data is delivered inline); text; FIN
        if (seg.payloadLength > 0 || seg.has(TcpView.FIN)) {
            receive(tcb, seg, seg.seq);
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
                layer.setState(tcb, TcpState.FIN_WAIT_2);
                if (tcb.orphan) {
                    // Linux: new data after close() aborts (TCPAbortOnData, RFC 1122 4.2.2.13)
                    if (seg.payloadLength > 0 && SeqNum.gt(seg.endSeq() - (seg.has(TcpView.FIN) ? 1 : 0), tcb.rcvNxt)) {
                        stats.inc(Counter.TcpExtTCPAbortOnData);
                        layer.output().sendReset(tcb);
                        layer.close(tcb, TcpError.ABORTED, false);
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
                layer.close(tcb, null, false);
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
                && !mayUpdateWindow(tcb, seg.ack, seg.seq, window)
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
        layer.drop(tcb, seg, DropReason.TCP_SYN_CHALLENGE);
    }

    /** RFC 5961 3.2/4/5.2 challenge ACK, at most one per invalid_ratelimit (Linux >= 6.0: per socket only). */
    private void challengeAck(Tcb tcb) {
        if (oowRateLimited(tcb)) {
            stats.inc(Counter.TcpExtTCPACKSkippedChallenge);
            return;
        }
        if (!layer.limits().challengeAckAllowed()) {
            return; // RFC 5961 7: the stack-wide budget (tcp_challenge_ack_limit)
        }
        stats.inc(Counter.TcpExtTCPChallengeACK);
        layer.output().sendAck(tcb);
    }

    /**
     * A duplicate ACK for an unacceptable segment (RFC 9293 3.10.7.4 first), rate-limited like
     * Linux tcp_oow_rate_limited, which exempts segments that occupy sequence space (data or
     * FIN) without SYN.
     */
    private void sendOutOfWindowAck(Tcb tcb, Segment seg, Counter skipped) {
        if ((seg.length() == 0 || seg.has(TcpView.SYN)) && oowRateLimited(tcb)) {
            stats.inc(skipped);
            return;
        }
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

    // ---- ACK processing (RFC 9293 3.10.7.4 fifth; RFC 5681; RFC 6582; Linux tcp_ack)

    /** Returns false when the segment must be dropped. */
    private boolean ack(Tcb tcb, Segment seg) {
        int ack = seg.ack;
        if (SeqNum.lt(ack, tcb.sndUna)) {
            if (SeqNum.lt(ack, tcb.sndUna - tcb.maxSndWnd)) {
                challengeAck(tcb); // RFC 5961 5.2: blind data injection guard
                layer.drop(tcb, seg, DropReason.TCP_INVALID_ACK_SEQUENCE);
                return false;
            }
            return true; // an old duplicate ACK: ignore it, process the rest
        }
        if (SeqNum.gt(ack, tcb.sndMax)) {
            // acknowledges something not yet sent: "send an ACK, drop the segment"
            sendOutOfWindowAck(tcb, seg, Counter.TcpExtTCPACKSkippedSeq);
            layer.drop(tcb, seg, DropReason.TCP_INVALID_ACK_SEQUENCE);
            return false;
        }
        int oldWindow = tcb.sndWnd;
        int window = seg.window << tcb.sndWscale;
        if (mayUpdateWindow(tcb, ack, seg.seq, window)) {
            tcb.sndWnd = window;
            tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
            tcb.sndWl1 = seg.seq;
        }
        boolean newlySacked = tcb.sackOk && seg.options.sackBlockCount > 0 && recordSack(tcb, seg);
        int acked = ack - tcb.sndUna;
        if (acked > 0) {
            newlyAcked(tcb, seg, acked);
        } else if (seg.payloadLength == 0 && !seg.has(TcpView.FIN) && tcb.flightSize() > 0
                && (tcb.sndWnd == oldWindow || newlySacked)) {
            // RFC 5681 2 duplicate ACK (same window), or RFC 6675 2: one that SACKs new data,
            // whatever its window (a receiver holding out-of-order data offers less)
            duplicateAck(tcb);
        }
        return true;
    }

    /**
     * RFC 6675 Update(): the SACK blocks of an ACK go to the scoreboard (Linux
     * tcp_sacktag_write_queue). True when they SACKed data not SACKed before.
     */
    private static boolean recordSack(Tcb tcb, Segment seg) {
        if (tcb.scoreboard == null) {
            tcb.scoreboard = new SackScoreboard();
        }
        int before = tcb.scoreboard.sackedBytes();
        int una = SeqNum.max(seg.ack, tcb.sndUna);
        int[] blocks = seg.options.sackBlocks;
        for (int b = 0; b < seg.options.sackBlockCount; b++) {
            tcb.scoreboard.add(blocks[2 * b], blocks[2 * b + 1], una, tcb.sndMax);
        }
        return tcb.scoreboard.sackedBytes() > before;
    }

    /**
     * Linux tcp_may_update_window. RFC 9293's SND.WL1/SND.WL2 rule keeps a stale window when an
     * ACK that advances SND.UNA rides on a retransmission (lower SEG.SEQ), which moves the right
     * edge past what the peer offered; Linux also takes the window of any advancing ACK.
     */
    private static boolean mayUpdateWindow(Tcb tcb, int ack, int seq, int window) {
        return SeqNum.gt(ack, tcb.sndUna) || SeqNum.gt(seq, tcb.sndWl1)
                || (seq == tcb.sndWl1 && (window > tcb.sndWnd || window == 0));
    }

    private void newlyAcked(Tcb tcb, Segment seg, int acked) {
        int ack = seg.ack;
        boolean finNowAcked = tcb.finSent && SeqNum.gt(ack, tcb.finSeq);
        int dataAcked = Math.min(acked - (finNowAcked ? 1 : 0), tcb.sendBuffer.size());
        tcb.sendBuffer.discard(Math.max(dataAcked, 0));
        tcb.sndUna = ack;
        if (SeqNum.lt(tcb.sndNxt, ack)) {
            tcb.sndNxt = ack;
        }
        if (finNowAcked) {
            tcb.finAcked = true;
        }
        // RTT sample: timestamps (RFC 7323 4.1) or the one timed segment (Karn)
        if (tcb.tsOk && seg.options.hasTimestamp && seg.options.tsEcr != 0) {
            tcb.rtt.sample(Math.max(0, tcb.tsVal() - seg.options.tsEcr) * 1000L);
        } else if (tcb.rttTiming && SeqNum.ge(ack, tcb.rttSeq)) {
            tcb.rtt.sample((layer.clock().nanos() - tcb.rttStartNanos) / 1000);
            tcb.rttTiming = false;
        }
        tcb.retransmits = 0;
        tcb.retransStampMs = 0;
        tcb.probesOut = 0;
        int segments = (acked + tcb.sndMss - 1) / tcb.sndMss;
        if (tcb.scoreboard != null) {
            tcb.scoreboard.advance(ack);
        }
        if (tcb.inRecovery) {
            if (SeqNum.ge(ack, tcb.recover)) {
                // RFC 6582 3.2 step 3; after SACK recovery Linux tcp_end_cwnd_reduction: cwnd = ssthresh
                tcb.cwnd = tcb.sackRecovery ? tcb.ssthresh
                        : Math.min(tcb.ssthresh, Math.max(TcpTimers.inFlightSegments(tcb), 1) + 1);
                tcb.inRecovery = false;
                tcb.sackRecovery = false;
            } else if (tcb.sackRecovery) {
                layer.output().sackRecover(tcb); // RFC 6675: a partial ACK frees pipe, no deflation
            } else {
                // RFC 6582 3.2 step 4: partial ACK, retransmit the next hole, deflate
                layer.output().retransmitHead(tcb);
                tcb.cwnd = Math.max(tcb.cwnd - segments + 1, 1);
            }
        } else if (cwndLimited(tcb, acked)) {
            // RFC 7661 / Linux tcp_is_cwnd_limited: only a window the sender filled grows; it
            // grew without bound behind the application's pace
            if (tcb.cwnd < tcb.ssthresh) {
                tcb.cwnd += Math.min(segments, 2); // RFC 5681 3.1 slow start, RFC 3465 L = 2
            } else {
                tcb.cwndCount += segments; // congestion avoidance: one segment per window
                if (tcb.cwndCount >= tcb.cwnd) {
                    tcb.cwndCount -= tcb.cwnd;
                    tcb.cwnd++;
                }
            }
        }
        tcb.dupAcks = 0;
        TcpTimers.restartRetransmit(tcb);
        Wakeups.wake(tcb);
    }

    /**
     * Linux tcp_is_cwnd_limited: the flight before this ACK used the window: in slow start at
     * least half of it, in congestion avoidance all of it.
     */
    private static boolean cwndLimited(Tcb tcb, int acked) {
        int flightBefore = (tcb.flightSize() + acked + tcb.sndMss - 1) / tcb.sndMss;
        return tcb.cwnd < tcb.ssthresh ? tcb.cwnd < 2 * flightBefore : tcb.cwnd <= flightBefore;
    }

    /**
     * RFC 5681 3.2 fast retransmit on the third duplicate ACK, or as soon as the scoreboard says
     * the head is lost (RFC 6675 IsLost); then SACK-based recovery (RFC 6675) when the peer SACKs,
     * else NewReno (RFC 6582).
     */
    private void duplicateAck(Tcb tcb) {
        tcb.dupAcks++;
        SackScoreboard sb = tcb.scoreboard;
        boolean sacked = sb != null && !sb.isEmpty();
        if (!tcb.inRecovery && SeqNum.gt(tcb.sndUna, tcb.recover - 1)
                && (tcb.dupAcks == 3 || (sacked && sb.isLost(tcb.sndUna, tcb.sndMss)))) {
            tcb.ssthresh = Math.max(TcpTimers.inFlightSegments(tcb) / 2, 2);
            tcb.recover = tcb.sndMax;
            tcb.inRecovery = true;
            tcb.sackRecovery = sacked;
            stats.inc(Counter.TcpExtTCPFastRetrans);
            if (sacked) {
                // RFC 6675 5 (4): cwnd = ssthresh, retransmit the head, then what else is lost
                stats.inc(Counter.TcpExtTCPSackRecovery);
                tcb.cwnd = tcb.ssthresh;
                layer.output().retransmitHead(tcb);
                sb.highRxt = tcb.sndUna + Math.min(tcb.sndMss, tcb.sendBuffer.size());
                layer.output().sackRecover(tcb);
            } else {
                stats.inc(Counter.TcpExtTCPRenoRecovery);
                layer.output().retransmitHead(tcb);
                tcb.cwnd = tcb.ssthresh + 3;
            }
        } else if (tcb.inRecovery && tcb.sackRecovery) {
            layer.output().sackRecover(tcb); // RFC 6675 5 (C): each ACK may let more go
        } else if (tcb.dupAcks > 3 && tcb.inRecovery) {
            tcb.cwnd++; // RFC 5681 3.2 step 4: inflate per further duplicate
        }
    }

    // ---- text and FIN (RFC 9293 3.10.7.4 seventh and eighth; Linux tcp_data_queue, tcp_fin)

    /** Receives payload and FIN of {@code seg}, whose first payload byte is at {@code seq}. */
    private void receive(Tcb tcb, Segment seg, int seq) {
        if (!tcb.state.receivesData() && tcb.state != TcpState.SYN_RECEIVED) {
            return; // CLOSE_WAIT, CLOSING, LAST_ACK: the peer already sent its FIN
        }
        int index = seg.payloadIndex;
        int length = seg.payloadLength;
        boolean fin = seg.has(TcpView.FIN);
        if (SeqNum.lt(seq, tcb.rcvNxt)) {
            int skip = tcb.rcvNxt - seq;
            if (skip > length || (skip == length && !fin)) {
                // a retransmission of what we have: ACK at once (Linux: quick ACK on duplicate)
                layer.drop(tcb, seg, DropReason.TCP_OLD_DATA);
                layer.output().sendAck(tcb);
                return;
            }
            index += skip;
            length -= skip;
            seq = tcb.rcvNxt;
        }
        if (seq != tcb.rcvNxt) {
            outOfOrder(tcb, seg, seq, index, length, fin);
            return;
        }
        boolean holes = tcb.reassembly.blockCount() > 0;
        int stored = tcb.receiveBuffer.write(seg.buf, index, length);
        if (stored < length) {
            stats.inc(stored == 0 ? Counter.TcpExtTCPZeroWindowDrop : Counter.TcpExtTCPRcvQDrop);
            layer.drop(tcb, seg, DropReason.TCP_ZEROWINDOW);
            fin = false;
        }
        tcb.rcvNxt += stored;
        if (holes) {
            tcb.rcvNxt = tcb.reassembly.drainInto(tcb.rcvNxt, tcb.receiveBuffer);
        }
        if (stored > 0) {
            dataReceived(tcb, stored);
        }
        if (stored >= 128) {
            // Linux tcp_grow_window: each full-sized in-order segment opens the window by 2 MSS
            tcb.rcvSsthresh = Math.min(tcb.receiveBuffer.capacity(), tcb.rcvSsthresh + 2 * tcb.rcvMss);
        }
        boolean finArrived = (fin && stored == length) || tcb.reassembly.takeFin(tcb.rcvNxt);
        if (finArrived) {
            fin(tcb);
        } else if (holes || stored < length) {
            layer.output().sendAck(tcb);
        } else if (ackNow(tcb)) {
            if (!Wakeups.deferAck(tcb)) {
                layer.output().sendAck(tcb);
            }
        } else if (stored > 0) {
            TcpTimers.scheduleDelayedAck(tcb);
        }
    }

    private void outOfOrder(Tcb tcb, Segment seg, int seq, int index, int length, boolean fin) {
        int rightEdge = tcb.rcvNxt + Math.max(tcb.rcvWnd - (tcb.rcvNxt - tcb.rcvWup), 0);
        // within the window we offered, and within the receive buffer, where it is stored
        int fits = Math.max(0, Math.min(Math.min(length, rightEdge - seq), tcb.receiveBuffer.free() - (seq - tcb.rcvNxt)));
        if (fits > 0 && tcb.reassembly.add(seq, fits, tcb.rcvNxt, tcb.receiveBuffer, seg.buf, index,
                layer.settings().maxOfoBlocks)) {
            stats.inc(Counter.TcpExtTCPOFOQueue);
            if (fin && fits == length) {
                tcb.reassembly.addFin(seq + length);
            }
        } else if (length > 0) {
            stats.inc(Counter.TcpExtTCPOFODrop);
            layer.drop(tcb, seg, DropReason.TCP_OFO_DROP);
        } else if (fin) {
            tcb.reassembly.addFin(seq);
        }
        tcb.quickAcks = Math.max(tcb.quickAcks, 1);
        layer.output().sendAck(tcb); // RFC 5681 4.2: out-of-order data is ACKed at once (dup ACK, SACK)
    }

    /** Linux tcp_event_data_recv: adapt the ATO to the inter-arrival time, stamp activity. */
    private void dataReceived(Tcb tcb, int bytes) {
        long now = layer.nowMs();
        TcpSettings s = layer.settings();
        if (tcb.atoMs == 0) {
            tcb.atoMs = s.delackMinMs;
        } else {
            long m = now - tcb.lastDataRecvMs;
            long rto = tcb.rtt.rtoMicros() / 1000;
            if (m <= s.delackMinMs / 2) {
                tcb.atoMs = tcb.atoMs / 2 + s.delackMinMs / 2;
            } else if (m < tcb.atoMs) {
                tcb.atoMs = Math.min(tcb.atoMs / 2 + m, rto);
            } else if (m > rto) {
                tcb.quickAcks = Math.max(tcb.quickAcks, 2);
            }
        }
        tcb.lastDataRecvMs = now;
        tcb.lastActivityMs = now;
        tcb.segmentsSinceAck += Math.max(1, bytes / Math.max(tcb.rcvMss, 1));
        Wakeups.wake(tcb);
    }

    /**
     * Linux __tcp_ack_snd_check: ACK now in quick-ACK mode (connection start) or when more than one
     * full segment arrived since the last ACK; otherwise delay.
     */
    private boolean ackNow(Tcb tcb) {
        return tcb.quickAcks > 0 || tcb.rcvNxt - tcb.rcvWup > tcb.rcvMss;
    }

    /** RFC 9293 3.10.7.4 eighth (Linux tcp_fin). */
    private void fin(Tcb tcb) {
        tcb.rcvNxt++;
        tcb.finReceived = true;
        tcb.lastActivityMs = layer.nowMs();
        Wakeups.notify(tcb);
        switch (tcb.state) {
            case SYN_RECEIVED, ESTABLISHED -> {
                layer.setState(tcb, TcpState.CLOSE_WAIT);
                layer.output().sendAck(tcb);
            }
            case FIN_WAIT_1 -> {
                if (tcb.finAcked) {
                    layer.output().sendAck(tcb);
                    layer.timeWait().enter(tcb, TcpState.TIME_WAIT);
                } else {
                    layer.setState(tcb, TcpState.CLOSING);
                    layer.output().sendAck(tcb);
                }
            }
            case FIN_WAIT_2 -> {
                layer.output().sendAck(tcb);
                layer.timeWait().enter(tcb, TcpState.TIME_WAIT);
            }
            default -> layer.output().sendAck(tcb);
        }
    }
}
