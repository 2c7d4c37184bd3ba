package io.tcpstack.tcp;

import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpView;

/**
 * A segment for a TIME_WAIT or FIN_WAIT_2 record (Linux tcp_timewait_state_process in
 * net/ipv4/tcp_minisocks.c, and the ACK it answers with, tcp_v4_timewait_ack and
 * tcp_v6_timewait_ack): PAWS, the record's window, RST (TIME_WAIT assassination, RFC 1337), the
 * peer's FIN, a new SYN that may take the 4-tuple (RFC 6191), and the rate-limited ACK. The
 * records themselves and their lifetimes are {@link TimeWait}'s.
 */
final class TimeWaitInput {
    /** What the caller does after {@link #process}. */
    enum Verdict {
        /** No record for this 4-tuple: go on to the listener. */
        NONE,
        /** Handled (answered, dropped or killed). */
        DONE,
        /** A new SYN the record accepts: hand it to the listener with {@link TimeWait#takeForSuccessor}. */
        SYN
    }

    private final TcpLayer layer;
    private final TimeWait timeWait;

    TimeWaitInput(TcpLayer layer, TimeWait timeWait) {
        this.layer = layer;
        this.timeWait = timeWait;
    }

    /** tcp_timewait_state_process for the record of {@code key} (from {@code seg}'s source), if there is one. */
    Verdict process(long key, Segment seg) {
        TimeWaitShard s = timeWait.table().shard(key);
        synchronized (s) {
            int slot = s.find(key, seg.sourceHi, seg.sourceLo);
            if (slot < 0) {
                return Verdict.NONE;
            }
            layer.trace().segmentIn(seg, TimeWait.substateName(s.meta(slot)) + " record");
            int meta = s.meta(slot);
            s.meta(slot, (meta & ~(0xff << 8)) | ((seg.queue & 0xff) << 8));
            boolean pawsReject = TimeWaitTable.tsOk(meta) && seg.options.hasTimestamp && pawsReject(s, slot, seg);
            return TimeWaitTable.isTimeWait(meta) ? timeWait(s, slot, seg, pawsReject)
                    : finWait2(s, slot, seg, pawsReject);
        }
    }

    /** Linux tcp_paws_reject (window 0): an RST with an old TSval passes when TS.Recent is over 60 s old. */
    private boolean pawsReject(TimeWaitShard s, int slot, Segment seg) {
        if (SeqNum.ge(seg.options.tsVal, s.tsRecent(slot)) || s.tsRecent(slot) == 0) {
            return false;
        }
        return !(seg.has(TcpView.RST) && (int) layer.nowMs() - s.tsRecentStampMs(slot) >= TimeWait.PAWS_MSL_MS);
    }

    private Verdict finWait2(TimeWaitShard s, int slot, Segment seg, boolean pawsReject) {
        int endSeq = seg.endSeq();
        int rcvNxt = s.rcvNxt(slot);
        if (pawsReject || !inWindow(seg.seq, endSeq, rcvNxt, rcvNxt + TimeWaitTable.rcvWnd(s.meta(slot)))) {
            ackRateLimited(s, slot, seg, Counter.TcpExtTCPACKSkippedFinWait2);
            return Verdict.DONE;
        }
        if (seg.has(TcpView.RST)) {
            layer.trace().state(timeWait.connection(s, slot), "FIN-WAIT-2", "CLOSED (RST)", Rule.RECORD_KILLED_BY_RST);
            s.remove(slot);
            return Verdict.DONE;
        }
        if (seg.has(TcpView.SYN) && !SeqNum.lt(seg.seq, rcvNxt)) {
            resetAndForget(s, slot, seg);
            return Verdict.DONE;
        }
        if (!seg.has(TcpView.ACK) || !SeqNum.gt(endSeq, rcvNxt) || endSeq == seg.seq) {
            layer.stats().drop(DropReason.TCP_OLD_DATA);
            layer.trace().drop(seg, DropReason.TCP_OLD_DATA);
            return Verdict.DONE; // a duplicate ACK
        }
        if (seg.has(TcpView.FIN) && endSeq == rcvNxt + 1 && seg.payloadLength == 0) {
            // the peer's FIN: on to TIME_WAIT for the full length
            s.meta(slot, s.meta(slot) | TimeWaitTable.META_TIME_WAIT);
            s.rcvNxt(slot, endSeq);
            recordTimestamp(s, slot, seg);
            if (layer.settings().twRecycle && TimeWaitTable.tsOk(s.meta(slot)) && seg.options.hasTimestamp) {
                // Linux < 4.12 tcp_tw_remember_stamp: this way into TIME-WAIT remembers the peer's
                // timestamp too (the record keeps no RTO, so it stays the full length)
                timeWait.peers().remember(IpAddress.of(s.remoteHi(slot), s.remoteLo(slot)), seg.options.tsVal, layer.nowMs());
            }
            timeWait.restart(s, slot, layer.settings().timewaitLenMs);
            layer.trace().state(timeWait.connection(s, slot), "FIN-WAIT-2", "TIME-WAIT", Rule.RECORD_FIN);
            layer.trace().cause(null, Rule.FIN_ACK);
            sendAck(s, slot);
            return Verdict.DONE;
        }
        // new data, or a FIN elsewhere: reset (RFC 1122 4.2.2.13, Linux TCP_TW_RST)
        resetAndForget(s, slot, seg);
        return Verdict.DONE;
    }

    /** Removes the record: the segment gets an RST. */
    private void resetAndForget(TimeWaitShard s, int slot, Segment seg) {
        layer.trace().state(timeWait.connection(s, slot), "FIN-WAIT-2", "CLOSED", Rule.RECORD_RST);
        s.remove(slot);
        layer.trace().cause(null, Rule.RECORD_RST);
        layer.bareSegments().sendResetFor(seg);
    }

    private Verdict timeWait(TimeWaitShard s, int slot, Segment seg, boolean pawsReject) {
        int rcvNxt = s.rcvNxt(slot);
        if (!pawsReject && seg.seq == rcvNxt && (seg.length() == 0 || seg.has(TcpView.RST))) {
            if (seg.has(TcpView.RST)) {
                if (layer.settings().rfc1337 == 0) {
                    // "TIME_WAIT assassination" (RFC 1337 describes it; Linux allows it by default)
                    layer.trace().state(timeWait.connection(s, slot), "TIME-WAIT", "CLOSED (RST)", Rule.RECORD_KILLED_BY_RST);
                    s.remove(slot);
                    layer.stats().inc(Counter.TcpExtTWKilled);
                    return Verdict.DONE;
                }
            } else {
                timeWait.restart(s, slot, layer.settings().timewaitLenMs);
            }
            recordTimestamp(s, slot, seg);
            return Verdict.DONE;
        }
        // RFC 1122 4.2.2.13 + RFC 6191: a new SYN whose seq or timestamp is beyond the old connection
        if (seg.has(TcpView.SYN) && !seg.has(TcpView.RST) && !seg.has(TcpView.ACK) && !pawsReject
                && (SeqNum.gt(seg.seq, rcvNxt) || (TimeWaitTable.tsOk(s.meta(slot)) && seg.options.hasTimestamp
                        && s.tsRecent(slot) != 0 && SeqNum.gt(seg.options.tsVal, s.tsRecent(slot))))) {
            return Verdict.SYN;
        }
        if (!seg.has(TcpView.RST)) {
            if (pawsReject) {
                layer.stats().inc(Counter.TcpExtPAWSEstab);
            }
            if (pawsReject || seg.has(TcpView.ACK)) {
                timeWait.restart(s, slot, layer.settings().timewaitLenMs);
            }
            ackRateLimited(s, slot, seg, Counter.TcpExtTCPACKSkippedTimeWait);
        }
        return Verdict.DONE;
    }

    /** Answers with the record's ACK now (a new SYN with no listener behind it). */
    void ack(long key, long remoteHi, long remoteLo) {
        TimeWaitShard s = timeWait.table().shard(key);
        synchronized (s) {
            int slot = s.find(key, remoteHi, remoteLo);
            if (slot >= 0) {
                sendAck(s, slot);
            }
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

    private void recordTimestamp(TimeWaitShard s, int slot, Segment seg) {
        if (TimeWaitTable.tsOk(s.meta(slot)) && seg.options.hasTimestamp) {
            s.tsRecent(slot, seg.options.tsVal, (int) layer.nowMs());
        }
    }

    /**
     * tcp_timewait_check_oow_rate_limit: one ACK per invalid_ratelimit. Exempt, as in Linux
     * tcp_oow_rate_limited, is a segment that occupies sequence space without SYN (data or a
     * FIN): a retransmitted FIN is answered every time, or the peer's LAST_ACK outlives our
     * TIME_WAIT when ACKs get lost.
     */
    private void ackRateLimited(TimeWaitShard s, int slot, Segment seg, Counter skipped) {
        if (seg.length() == 0 || seg.has(TcpView.SYN)) {
            int now = (int) layer.nowMs();
            if (now - s.lastOowAckMs(slot) < layer.settings().invalidRatelimitMs) {
                layer.stats().inc(skipped);
                return;
            }
            s.lastOowAckMs(slot, now);
        }
        sendAck(s, slot);
    }

    /**
     * Linux tcp_v4_timewait_ack and tcp_v6_timewait_ack: seq = old snd.nxt, ack = old rcv.nxt,
     * our window and timestamp; over IPv6 with the connection's flow label (tw_txhash).
     */
    private void sendAck(TimeWaitShard s, int slot) {
        int meta = s.meta(slot);
        long key = s.key(slot);
        long tsVal = TimeWaitTable.tsOk(meta) ? Integer.toUnsignedLong(layer.tsClock() + s.tsOffset(slot)) : -1;
        layer.bareSegments().sendBare(TimeWaitTable.queue(meta), s.remoteHi(slot), s.remoteLo(slot), s.flowLabel(slot),
                (int) key & 0xffff, (int) (key >>> 16) & 0xffff, s.sndNxt(slot), s.rcvNxt(slot), TcpView.ACK,
                TimeWaitTable.rcvWnd(meta) >>> TimeWaitTable.rcvWscale(meta), tsVal, s.tsRecent(slot));
    }
}
