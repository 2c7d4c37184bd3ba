package io.tcpstack.tcp;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.time.Timeout;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpView;
import java.util.function.Consumer;

/**
 * TIME_WAIT and orphaned FIN_WAIT_2 (stack/BEHAVIOURS.md 3 and 4; Linux tcp_time_wait and
 * tcp_timewait_state_process in net/ipv4/tcp_minisocks.c), kept as compact records in a {@link
 * TimeWaitTable} and expired by one reaper timer for the whole table. Also the two ways a record
 * can end early for a new connection: tw_reuse on connect (tcp_twsk_unique) and, in the
 * tw_recycle profile, the per-peer timestamp cache that drops SYNs (tcp_peer_is_proven).
 */
final class TimeWait {
    /** Linux TCP_PAWS_MSL: an RST older than TS.Recent passes once TS.Recent is this old. */
    private static final long PAWS_MSL_MS = 60_000;
    /** Linux TCP_PAWS_WINDOW. */
    private static final int PAWS_WINDOW = 1;

    /** What the caller does after {@link #process}. */
    enum Verdict {
        /** No record for this 4-tuple: go on to the listener. */
        NONE,
        /** Handled (answered, dropped or killed). */
        DONE,
        /** A new SYN the record accepts: hand it to the listener with {@link #takeForSuccessor}. */
        SYN
    }

    /** What a reused TIME_WAIT 4-tuple hands the new connection (tcp_twsk_unique). */
    record Reuse(int iss, int tsRecent, long tsRecentStampMs) {
    }

    private final TcpLayer layer;
    private final TimeWaitTable table;
    private final PeerTimestamps peers = new PeerTimestamps();
    private final Reaper reaper = new Reaper();

    TimeWait(TcpLayer layer) {
        this.layer = layer;
        this.table = new TimeWaitTable(layer.nowMs());
    }

    /** Records in TIME_WAIT or FIN_WAIT_2. */
    int count() {
        return table.count();
    }

    boolean contains(long key, long remoteHi, long remoteLo) {
        TimeWaitTable.Shard s = table.shard(key);
        synchronized (s) {
            return s.find(key, remoteHi, remoteLo) >= 0;
        }
    }

    /**
     * Replaces {@code tcb} by a record (inet_twsk_hashdance: the record is findable before the
     * Tcb leaves the demux table, so a lookup finds one or the other) and closes the Tcb. Over
     * max_tw_buckets the connection just closes (TcpExtTCPTimeWaitOverflow).
     */
    void enter(Tcb tcb, TcpState substate) {
        TcpSettings settings = layer.settings();
        if (count() >= settings.maxTwBuckets) {
            layer.stats().inc(Counter.TcpExtTCPTimeWaitOverflow);
            layer.states().close(tcb, null, false);
            return;
        }
        long now = layer.nowMs();
        boolean timeWait = substate == TcpState.TIME_WAIT;
        long lengthMs = timeWait ? timeWaitLengthMs(tcb) : finWait2TimeoutMs(tcb);
        TimeWaitTable.Shard s = table.shard(tcb.key);
        synchronized (s) {
            if (s.find(tcb.key, tcb.remoteAddress.hi(), tcb.remoteAddress.lo()) >= 0) {
                layer.states().close(tcb, null, false);
                return;
            }
            s.insert(tcb.key, tcb.remoteAddress.hi(), tcb.remoteAddress.lo(), tcb.flowLabel, tcb.sndNxt, tcb.rcvNxt,
                    tcb.tsRecent, (int) tcb.tsRecentStampMs, tcb.tsOffset,
                    TimeWaitTable.meta(timeWait, tcb.tsOk, tcb.rcvWscale, tcb.txQueue, tcb.rcvWnd), now, now + lengthMs);
        }
        layer.states().setState(tcb, substate);
        layer.demux().remove(tcb);
        layer.states().release(tcb);
        if (layer.trace().enabled()) {
            layer.trace().recordVars(TcpTrace.connection(tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort),
                    substate.ssName(), tcb.sndNxt, tcb.rcvNxt, tcb.rcvWnd, lengthMs);
        }
        reaper.atLeastBy(now + lengthMs);
    }

    /** Linux tcp_fin_time: max(fin_timeout, 3.5 x RTO). */
    private long finWait2TimeoutMs(Tcb tcb) {
        return Math.max(layer.settings().finTimeoutMs, rto35(tcb));
    }

    /**
     * timewait_len (60 s; Linux TCP_TIMEWAIT_LEN, a constant there). With tw_recycle (Linux <
     * 4.12 tcp_time_wait) a connection that had timestamps stores the peer's last TSval per peer
     * address and waits only 3.5 x RTO.
     */
    private long timeWaitLengthMs(Tcb tcb) {
        if (layer.settings().twRecycle && tcb.tsOk && tcb.tsRecentStampMs != 0) {
            peers.remember(tcb.remoteAddress, tcb.tsRecent, tcb.tsRecentStampMs);
            return rto35(tcb);
        }
        return layer.settings().timewaitLenMs;
    }

    private static long rto35(Tcb tcb) {
        long rto = tcb.rtt.rtoMicros() / 1000;
        return (rto << 2) - (rto >> 1);
    }

    /**
     * tw_recycle's check on a SYN for a listener (Linux < 4.12 tcp_conn_request with
     * tcp_peer_is_proven): within 60 s of the peer's remembered TSval, a SYN whose TSval is older
     * by more than TCP_PAWS_WINDOW, or that has none, is dropped silently (TcpExtPAWSPassive).
     */
    boolean recycleRejects(Segment seg) {
        if (!layer.settings().twRecycle) {
            return false;
        }
        return peers.rejects(seg.source(), seg.options.hasTimestamp, seg.options.tsVal, layer.nowMs(), PAWS_MSL_MS,
                PAWS_WINDOW);
    }

    /** The record's 4-tuple as traces write it. */
    private String connection(TimeWaitTable.Shard s, int slot) {
        long key = s.key(slot);
        IpAddress remote = IpAddress.of(s.remoteHi(slot), s.remoteLo(slot));
        return TcpTrace.connection(layer.localAddress(remote), (int) key & 0xffff, remote, (int) (key >>> 16) & 0xffff);
    }

    private static String substateName(int meta) {
        return (TimeWaitTable.isTimeWait(meta) ? TcpState.TIME_WAIT : TcpState.FIN_WAIT_2).ssName();
    }

    /** The ISN of a connection that replaces a record (Linux: tw_snd_nxt + 65535 + 2, never 0). */
    static int successorIsn(int sndNxt) {
        int isn = sndNxt + 65535 + 2;
        return isn == 0 ? 1 : isn;
    }

    /** tcp_timewait_state_process for the record of {@code key} (from {@code seg}'s source), if there is one. */
    Verdict process(long key, Segment seg) {
        TimeWaitTable.Shard s = table.shard(key);
        synchronized (s) {
            int slot = s.find(key, seg.sourceHi, seg.sourceLo);
            if (slot < 0) {
                return Verdict.NONE;
            }
            layer.trace().segmentIn(seg, substateName(s.meta(slot)) + " record");
            int meta = s.meta(slot);
            s.meta(slot, (meta & ~(0xff << 8)) | ((seg.queue & 0xff) << 8));
            boolean pawsReject = TimeWaitTable.tsOk(meta) && seg.options.hasTimestamp && pawsReject(s, slot, seg);
            return TimeWaitTable.isTimeWait(meta) ? timeWait(s, slot, seg, pawsReject)
                    : finWait2(s, slot, seg, pawsReject);
        }
    }

    /** Linux tcp_paws_reject (window 0): an RST with an old TSval passes when TS.Recent is over 60 s old. */
    private boolean pawsReject(TimeWaitTable.Shard s, int slot, Segment seg) {
        if (SeqNum.ge(seg.options.tsVal, s.tsRecent(slot)) || s.tsRecent(slot) == 0) {
            return false;
        }
        return !(seg.has(TcpView.RST) && (int) layer.nowMs() - s.tsRecentStampMs(slot) >= PAWS_MSL_MS);
    }

    private Verdict finWait2(TimeWaitTable.Shard s, int slot, Segment seg, boolean pawsReject) {
        int endSeq = seg.endSeq();
        int rcvNxt = s.rcvNxt(slot);
        if (pawsReject || !inWindow(seg.seq, endSeq, rcvNxt, rcvNxt + TimeWaitTable.rcvWnd(s.meta(slot)))) {
            ackRateLimited(s, slot, seg, Counter.TcpExtTCPACKSkippedFinWait2);
            return Verdict.DONE;
        }
        if (seg.has(TcpView.RST)) {
            layer.trace().state(connection(s, slot), "FIN-WAIT-2", "CLOSED (RST)", Rule.RECORD_KILLED_BY_RST);
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
                peers.remember(IpAddress.of(s.remoteHi(slot), s.remoteLo(slot)), seg.options.tsVal, layer.nowMs());
            }
            restart(s, slot, layer.settings().timewaitLenMs);
            layer.trace().state(connection(s, slot), "FIN-WAIT-2", "TIME-WAIT", Rule.RECORD_FIN);
            layer.trace().cause(null, Rule.FIN_ACK);
            sendAck(s, slot);
            return Verdict.DONE;
        }
        // new data, or a FIN elsewhere: reset (RFC 1122 4.2.2.13, Linux TCP_TW_RST)
        resetAndForget(s, slot, seg);
        return Verdict.DONE;
    }

    /** Removes the record: the segment gets an RST. */
    private void resetAndForget(TimeWaitTable.Shard s, int slot, Segment seg) {
        layer.trace().state(connection(s, slot), "FIN-WAIT-2", "CLOSED", Rule.RECORD_RST);
        s.remove(slot);
        layer.trace().cause(null, Rule.RECORD_RST);
        layer.bareSegments().sendResetFor(seg);
    }

    private void traceRecord(TimeWaitTable.Shard s, int slot, long msLeft) {
        if (layer.trace().enabled()) {
            int meta = s.meta(slot);
            layer.trace().recordVars(connection(s, slot), substateName(meta), s.sndNxt(slot), s.rcvNxt(slot),
                    TimeWaitTable.rcvWnd(meta), msLeft);
        }
    }

    private Verdict timeWait(TimeWaitTable.Shard s, int slot, Segment seg, boolean pawsReject) {
        int rcvNxt = s.rcvNxt(slot);
        if (!pawsReject && seg.seq == rcvNxt && (seg.length() == 0 || seg.has(TcpView.RST))) {
            if (seg.has(TcpView.RST)) {
                if (layer.settings().rfc1337 == 0) {
                    // "TIME_WAIT assassination" (RFC 1337 describes it; Linux allows it by default)
                    layer.trace().state(connection(s, slot), "TIME-WAIT", "CLOSED (RST)", Rule.RECORD_KILLED_BY_RST);
                    s.remove(slot);
                    layer.stats().inc(Counter.TcpExtTWKilled);
                    return Verdict.DONE;
                }
            } else {
                restart(s, slot, layer.settings().timewaitLenMs);
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
                restart(s, slot, layer.settings().timewaitLenMs);
            }
            ackRateLimited(s, slot, seg, Counter.TcpExtTCPACKSkippedTimeWait);
        }
        return Verdict.DONE;
    }

    private void restart(TimeWaitTable.Shard s, int slot, long lengthMs) {
        long until = layer.nowMs() + lengthMs;
        s.reschedule(slot, until);
        reaper.atLeastBy(until);
        traceRecord(s, slot, lengthMs);
    }

    /**
     * Kills the record of {@code key} whose SYN a listener takes (Linux inet_twsk_deschedule_put)
     * and returns the new connection's ISN; null if the record is gone meanwhile.
     */
    Integer takeForSuccessor(long key, long remoteHi, long remoteLo) {
        TimeWaitTable.Shard s = table.shard(key);
        synchronized (s) {
            int slot = s.find(key, remoteHi, remoteLo);
            if (slot < 0) {
                return null;
            }
            int isn = successorIsn(s.sndNxt(slot));
            layer.trace().state(connection(s, slot), "TIME-WAIT", "CLOSED (new SYN)", Rule.TW_NEW_SYN);
            s.remove(slot);
            return isn;
        }
    }

    /**
     * tw_reuse for an outgoing connection (Linux tcp_twsk_unique): a TIME_WAIT record of the same
     * 4-tuple that saw timestamps gives way at once when the application chose the local port (a
     * bound socket: Linux passes no twp then), and otherwise when tw_reuse is 1 (2 is loopback
     * only, and the stack has no loopback peers) and its last timestamp is over tw_reuse_delay
     * old. Returns what the new connection inherits, or null when the 4-tuple stays taken.
     */
    Reuse reuse(long key, long remoteHi, long remoteLo, boolean boundPort) {
        TimeWaitTable.Shard s = table.shard(key);
        synchronized (s) {
            int slot = s.find(key, remoteHi, remoteLo);
            if (slot < 0) {
                return null;
            }
            int meta = s.meta(slot);
            TcpSettings settings = layer.settings();
            boolean stampOld = (int) layer.nowMs() - s.tsRecentStampMs(slot) > settings.twReuseDelayMs;
            boolean allowed = boundPort || (settings.twReuse == 1 && stampOld);
            if (!TimeWaitTable.isTimeWait(meta) || !TimeWaitTable.tsOk(meta) || s.tsRecentStampMs(slot) == 0 || !allowed) {
                return null;
            }
            Reuse reuse = new Reuse(successorIsn(s.sndNxt(slot)), s.tsRecent(slot), s.tsRecentStampMs(slot));
            layer.trace().state(connection(s, slot), "TIME-WAIT", "CLOSED (reused)", Rule.TW_REUSE);
            s.remove(slot);
            layer.stats().inc(Counter.TcpExtTWRecycled);
            return reuse;
        }
    }

    /** Answers with the record's ACK now (a new SYN with no listener behind it). */
    void ack(long key, long remoteHi, long remoteLo) {
        TimeWaitTable.Shard s = table.shard(key);
        synchronized (s) {
            int slot = s.find(key, remoteHi, remoteLo);
            if (slot >= 0) {
                sendAck(s, slot);
            }
        }
    }

    /** Every record, as the connection list shows it. */
    void forEach(Consumer<ConnectionInfo> action) {
        for (int i = 0; i < TimeWaitTable.SHARDS; i++) {
            TimeWaitTable.Shard s = table.shard(i);
            synchronized (s) {
                s.forEach(slot -> {
                    long key = s.key(slot);
                    TcpState state = TimeWaitTable.isTimeWait(s.meta(slot)) ? TcpState.TIME_WAIT : TcpState.FIN_WAIT_2;
                    IpAddress remote = IpAddress.of(s.remoteHi(slot), s.remoteLo(slot));
                    long msLeft = Math.max(s.expiresMs(slot) - (int) layer.nowMs(), 0);
                    action.accept(new ConnectionInfo(state, layer.localAddress(remote), (int) key & 0xffff, remote,
                            (int) (key >>> 16) & 0xffff, 0, 0, ConnectionInfo.Details.record(msLeft)));
                });
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

    private void recordTimestamp(TimeWaitTable.Shard s, int slot, Segment seg) {
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
    private void ackRateLimited(TimeWaitTable.Shard s, int slot, Segment seg, Counter skipped) {
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
    private void sendAck(TimeWaitTable.Shard s, int slot) {
        int meta = s.meta(slot);
        long key = s.key(slot);
        long tsVal = TimeWaitTable.tsOk(meta) ? Integer.toUnsignedLong(layer.tsClock() + s.tsOffset(slot)) : -1;
        layer.bareSegments().sendBare(TimeWaitTable.queue(meta), s.remoteHi(slot), s.remoteLo(slot), s.flowLabel(slot),
                (int) key & 0xffff, (int) (key >>> 16) & 0xffff, s.sndNxt(slot), s.rcvNxt(slot), TcpView.ACK,
                TimeWaitTable.rcvWnd(meta) >>> TimeWaitTable.rcvWscale(meta), tsVal, s.tsRecent(slot));
    }

    /**
     * One timer for the whole table: it fires at the earliest expiry, sweeps every shard (what is
     * due disappears silently, TcpExtTW counts it, as Linux LINUX_MIB_TIMEWAITED for both
     * substates) and sets itself for the next.
     */
    private final class Reaper extends Timeout {
        /** Makes sure the reaper fires no later than {@code dueMs} (never moves it later). */
        synchronized void atLeastBy(long dueMs) {
            long due = dueMs * 1_000_000L;
            if (!isArmed() || due < deadlineNanos()) {
                layer.timers().schedule(this, due);
            }
        }

        @Override
        protected void expire(long nowNanos) {
            long now = nowNanos / 1_000_000L;
            long next = Long.MAX_VALUE;
            boolean tracing = layer.trace().enabled();
            for (int i = 0; i < TimeWaitTable.SHARDS; i++) {
                TimeWaitTable.Shard s = table.shard(i);
                synchronized (s) {
                    int expired = s.sweep(now, slot -> {
                        if (tracing) {
                            layer.trace().state(connection(s, slot), substateName(s.meta(slot)), "CLOSED (timer)",
                                    Rule.RECORD_EXPIRED);
                        }
                    });
                    layer.stats().add(Counter.TcpExtTW, expired);
                    next = Math.min(next, s.nextExpiryMs(now));
                }
            }
            if (next != Long.MAX_VALUE) {
                // an insert during the sweep may have set an earlier time already: keep that one
                atLeastBy(Math.max(next, now + 1));
            }
        }
    }
}
