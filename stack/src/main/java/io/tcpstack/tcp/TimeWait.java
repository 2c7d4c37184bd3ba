package io.tcpstack.tcp;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.time.Timeout;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.IpAddress;
import java.util.function.Consumer;

/**
 * TIME_WAIT and orphaned FIN_WAIT_2 (stack/BEHAVIOURS.md 3 and 4; Linux tcp_time_wait in
 * net/ipv4/tcp_minisocks.c), kept as compact records in a {@link TimeWaitTable} and expired by
 * one reaper timer for the whole table; the segments that reach a record are {@link
 * TimeWaitInput}'s. Also the two ways a record can end early for a new connection: tw_reuse on
 * connect (tcp_twsk_unique) and, in the tw_recycle profile, the per-peer timestamp cache that
 * drops SYNs (tcp_peer_is_proven).
 */
final class TimeWait {
    /** Linux TCP_PAWS_MSL: an RST older than TS.Recent passes once TS.Recent is this old. */
    static final long PAWS_MSL_MS = 60_000;
    /** Linux TCP_PAWS_WINDOW. */
    private static final int PAWS_WINDOW = 1;

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

    TimeWaitTable table() {
        return table;
    }

    /** tw_recycle's per-peer timestamps. */
    PeerTimestamps peers() {
        return peers;
    }

    /** Records in TIME_WAIT or FIN_WAIT_2. */
    int count() {
        return table.count();
    }

    boolean contains(long key, long remoteHi, long remoteLo) {
        TimeWaitShard s = table.shard(key);
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
        TimeWaitShard s = table.shard(tcb.key);
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
    String connection(TimeWaitShard s, int slot) {
        long key = s.key(slot);
        IpAddress remote = IpAddress.of(s.remoteHi(slot), s.remoteLo(slot));
        return TcpTrace.connection(layer.localAddress(remote), (int) key & 0xffff, remote, (int) (key >>> 16) & 0xffff);
    }

    static String substateName(int meta) {
        return (TimeWaitTable.isTimeWait(meta) ? TcpState.TIME_WAIT : TcpState.FIN_WAIT_2).ssName();
    }

    /** The ISN of a connection that replaces a record (Linux: tw_snd_nxt + 65535 + 2, never 0). */
    static int successorIsn(int sndNxt) {
        int isn = sndNxt + 65535 + 2;
        return isn == 0 ? 1 : isn;
    }

    private void traceRecord(TimeWaitShard s, int slot, long msLeft) {
        if (layer.trace().enabled()) {
            int meta = s.meta(slot);
            layer.trace().recordVars(connection(s, slot), substateName(meta), s.sndNxt(slot), s.rcvNxt(slot),
                    TimeWaitTable.rcvWnd(meta), msLeft);
        }
    }

    /** Restarts the record's timer: it now expires {@code lengthMs} from now. */
    void restart(TimeWaitShard s, int slot, long lengthMs) {
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
        TimeWaitShard s = table.shard(key);
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
        TimeWaitShard s = table.shard(key);
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

    /** Every record, as the connection list shows it. */
    void forEach(Consumer<ConnectionInfo> action) {
        for (int i = 0; i < TimeWaitTable.SHARDS; i++) {
            TimeWaitShard s = table.shard(i);
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
                TimeWaitShard s = table.shard(i);
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
