package io.tcpstack.tcp;

import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.wire.TcpView;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TIME_WAIT and orphaned FIN_WAIT_2 (BEHAVIOURS.md 3 and 4; Linux tcp_time_wait and
 * tcp_timewait_state_process in net/ipv4/tcp_minisocks.c).
 */
final class TimeWait {
    /** What the caller does after {@link #process}. */
    enum Verdict {
        /** Handled (answered, dropped or killed). */
        DONE,
        /** A new SYN the record accepts: hand it to the listener with {@link #successorIsn}. */
        SYN,
        /** The record died before we got it: look the 4-tuple up again. */
        GONE
    }

    private final TcpLayer layer;
    private final AtomicInteger count = new AtomicInteger();

    TimeWait(TcpLayer layer) {
        this.layer = layer;
    }

    int count() {
        return count.get();
    }

    /**
     * Replaces {@code tcb} by a record in the demux table (inet_twsk_hashdance) and closes the
     * Tcb. Over max_tw_buckets the connection just closes (TcpExtTCPTimeWaitOverflow).
     */
    void enter(Tcb tcb, TcpState substate) {
        TcpSettings settings = layer.settings();
        if (count.get() >= settings.maxTwBuckets) {
            layer.stats().inc(Counter.TcpExtTCPTimeWaitOverflow);
            layer.close(tcb, null, false);
            return;
        }
        TimeWaitRecord record = new TimeWaitRecord(this, tcb, substate);
        long lengthMs = substate == TcpState.TIME_WAIT ? settings.timewaitLenMs : finWait2TimeoutMs(tcb);
        layer.setState(tcb, substate);
        if (!layer.demux().replace(tcb.key, tcb, record)) {
            layer.close(tcb, null, false);
            return;
        }
        count.incrementAndGet();
        layer.release(tcb);
        schedule(record, lengthMs);
    }

    /** Linux tcp_fin_time: max(fin_timeout, 3.5 x RTO). */
    private long finWait2TimeoutMs(Tcb tcb) {
        long rto = tcb.rtt.rtoMicros() / 1000;
        return Math.max(layer.settings().finTimeoutMs, (rto * 7) / 2);
    }

    private void schedule(TimeWaitRecord record, long delayMs) {
        layer.wheel().schedule(record, layer.clock().nanos() + delayMs * 1_000_000L);
    }

    void expire(TimeWaitRecord record) {
        synchronized (record) {
            if (!kill(record)) {
                return;
            }
            layer.stats().inc(Counter.TcpExtTW); // Linux LINUX_MIB_TIMEWAITED, both substates
            layer.trace().state(connection(record), record.substate.ssName(), "CLOSED (timer)");
        }
    }

    /** Removes the record; false if it was already dead. Caller holds the record's monitor. */
    private boolean kill(TimeWaitRecord record) {
        if (record.dead) {
            return false;
        }
        record.dead = true;
        layer.wheel().cancel(record);
        layer.demux().remove(record.key, record);
        count.decrementAndGet();
        return true;
    }

    private String connection(TimeWaitRecord r) {
        return TcpTrace.connection(layer.localAddress(), r.localPort, r.remoteAddress, r.remotePort);
    }

    /** The ISN of a connection that replaces this record (Linux: tw_snd_nxt + 65535 + 2, never 0). */
    static int successorIsn(TimeWaitRecord record) {
        int isn = record.sndNxt + 65535 + 2;
        return isn == 0 ? 1 : isn;
    }

    /** tcp_timewait_state_process. */
    Verdict process(TimeWaitRecord r, Segment seg) {
        synchronized (r) {
            if (r.dead) {
                return Verdict.GONE;
            }
            r.queue = seg.queue;
            boolean pawsReject = r.tsOk && seg.options.hasTimestamp && pawsReject(r, seg);
            return r.substate == TcpState.FIN_WAIT_2 ? finWait2(r, seg, pawsReject) : timeWait(r, seg, pawsReject);
        }
    }

    /** Linux tcp_paws_reject: an RST with an old TSval passes when TS.Recent is over 60 s (TCP_PAWS_MSL) old. */
    private boolean pawsReject(TimeWaitRecord r, Segment seg) {
        if (SeqNum.ge(seg.options.tsVal, r.tsRecent) || r.tsRecent == 0) {
            return false;
        }
        return !(seg.has(TcpView.RST) && layer.nowMs() - r.tsRecentStampMs >= 60_000);
    }

    private Verdict finWait2(TimeWaitRecord r, Segment seg, boolean pawsReject) {
        int endSeq = seg.endSeq();
        if (pawsReject || !inWindow(seg.seq, endSeq, r.rcvNxt, r.rcvNxt + r.rcvWnd)) {
            ackRateLimited(r, seg, Counter.TcpExtTCPACKSkippedFinWait2);
            return Verdict.DONE;
        }
        if (seg.has(TcpView.RST)) {
            kill(r);
            layer.trace().state(connection(r), "FIN-WAIT-2", "CLOSED (RST)");
            return Verdict.DONE;
        }
        if (seg.has(TcpView.SYN) && !SeqNum.lt(seg.seq, r.rcvNxt)) {
            kill(r);
            layer.output().sendResetFor(seg);
            return Verdict.DONE;
        }
        if (!seg.has(TcpView.ACK) || !SeqNum.gt(endSeq, r.rcvNxt) || endSeq == seg.seq) {
            layer.stats().drop(DropReason.TCP_OLD_DATA);
            return Verdict.DONE; // a duplicate ACK
        }
        if (seg.has(TcpView.FIN) && endSeq == r.rcvNxt + 1 && seg.payloadLength == 0) {
            // the peer's FIN: on to TIME_WAIT for the full length
            r.substate = TcpState.TIME_WAIT;
            r.rcvNxt = endSeq;
            recordTimestamp(r, seg);
            schedule(r, layer.settings().timewaitLenMs);
            layer.trace().state(connection(r), "FIN-WAIT-2", "TIME-WAIT");
            sendAck(r);
            return Verdict.DONE;
        }
        // new data, or a FIN elsewhere: reset (RFC 1122 4.2.2.13, Linux TCP_TW_RST)
        kill(r);
        layer.output().sendResetFor(seg);
        return Verdict.DONE;
    }

    private Verdict timeWait(TimeWaitRecord r, Segment seg, boolean pawsReject) {
        if (!pawsReject && seg.seq == r.rcvNxt && (seg.length() == 0 || seg.has(TcpView.RST))) {
            if (seg.has(TcpView.RST)) {
                if (layer.settings().rfc1337 == 0) {
                    // "TIME_WAIT assassination" (RFC 1337 describes it; Linux allows it by default)
                    kill(r);
                    layer.stats().inc(Counter.TcpExtTWKilled);
                    layer.trace().state(connection(r), "TIME-WAIT", "CLOSED (RST)");
                    return Verdict.DONE;
                }
            } else {
                schedule(r, layer.settings().timewaitLenMs);
            }
            recordTimestamp(r, seg);
            return Verdict.DONE;
        }
        // RFC 1122 4.2.2.13 + RFC 6191: a new SYN whose seq or timestamp is beyond the old connection
        if (seg.has(TcpView.SYN) && !seg.has(TcpView.RST) && !seg.has(TcpView.ACK) && !pawsReject
                && (SeqNum.gt(seg.seq, r.rcvNxt)
                        || (r.tsOk && seg.options.hasTimestamp && r.tsRecent != 0 && SeqNum.gt(seg.options.tsVal, r.tsRecent)))) {
            return Verdict.SYN;
        }
        if (!seg.has(TcpView.RST)) {
            if (pawsReject) {
                layer.stats().inc(Counter.TcpExtPAWSEstab);
            }
            if (pawsReject || seg.has(TcpView.ACK)) {
                schedule(r, layer.settings().timewaitLenMs);
            }
            ackRateLimited(r, seg, Counter.TcpExtTCPACKSkippedTimeWait);
        }
        return Verdict.DONE;
    }

    /** Kills a record whose SYN was accepted by a listener (Linux inet_twsk_deschedule_put). */
    void killForSuccessor(TimeWaitRecord r) {
        synchronized (r) {
            kill(r);
        }
    }

    /** Linux tcp_in_window. */
    private static boolean inWindow(int seq, int endSeq, int start, int end) {
        if (seq == start) {
            return true;
        }
        if (SeqNum.gt(endSeq, start) && SeqNum.lt(seq, end)) {
            return true;
        }
        return seq == end && seq == endSeq;
    }

    private void recordTimestamp(TimeWaitRecord r, Segment seg) {
        if (r.tsOk && seg.options.hasTimestamp) {
            r.tsRecent = seg.options.tsVal;
            r.tsRecentStampMs = layer.nowMs();
        }
    }

    /**
     * tcp_timewait_check_oow_rate_limit: one ACK per invalid_ratelimit. Exempt, as in Linux
     * tcp_oow_rate_limited, is a segment that occupies sequence space without SYN (data or a
     * FIN): a retransmitted FIN is answered every time, or the peer's LAST_ACK outlives our
     * TIME_WAIT when ACKs get lost.
     */
    private void ackRateLimited(TimeWaitRecord r, Segment seg, Counter skipped) {
        if (seg.length() == 0 || seg.has(TcpView.SYN)) {
            long now = layer.nowMs();
            if (now - r.lastOowAckMs < layer.settings().invalidRatelimitMs) {
                layer.stats().inc(skipped);
                return;
            }
            r.lastOowAckMs = now;
        }
        sendAck(r);
    }

    /** Answers with the record's ACK now (a new SYN with no listener behind it). */
    void ack(TimeWaitRecord r) {
        synchronized (r) {
            if (!r.dead) {
                sendAck(r);
            }
        }
    }

    /** Linux tcp_v4_timewait_ack: seq = old snd.nxt, ack = old rcv.nxt, our window and timestamp. */
    private void sendAck(TimeWaitRecord r) {
        long tsVal = r.tsOk ? Integer.toUnsignedLong((int) layer.nowMs() + r.tsOffset) : -1;
        layer.output().sendBare(r.queue, r.remoteAddress, r.localPort, r.remotePort, r.sndNxt, r.rcvNxt,
                TcpView.ACK, r.rcvWnd >>> r.rcvWscale, tsVal, r.tsRecent);
    }
}
