package io.tcpstack.tcp;

import io.tcpstack.time.Timeout;

/**
 * A closed connection's remains (Linux inet_timewait_sock): just what answering late segments
 * needs, in place of the full {@link Tcb}. Substate TIME_WAIT, or FIN_WAIT_2 for an orphaned
 * connection whose FIN was acknowledged. Guarded by its own monitor.
 */
final class TimeWaitRecord extends Timeout {
    final TimeWait owner;
    final long key;
    final int remoteAddress;
    final int remotePort;
    final int localPort;
    TcpState substate;
    int sndNxt;
    int rcvNxt;
    /** Window we offered, in bytes, and our scale. */
    int rcvWnd;
    int rcvWscale;
    boolean tsOk;
    int tsRecent;
    long tsRecentStampMs;
    int tsOffset;
    long lastOowAckMs = Long.MIN_VALUE / 2;
    int queue;
    boolean dead;

    TimeWaitRecord(TimeWait owner, Tcb tcb, TcpState substate) {
        this.owner = owner;
        this.key = tcb.key;
        this.remoteAddress = tcb.remoteAddress;
        this.remotePort = tcb.remotePort;
        this.localPort = tcb.localPort;
        this.substate = substate;
        this.sndNxt = tcb.sndNxt;
        this.rcvNxt = tcb.rcvNxt;
        this.rcvWnd = tcb.rcvWnd;
        this.rcvWscale = tcb.rcvWscale;
        this.tsOk = tcb.tsOk;
        this.tsRecent = tcb.tsRecent;
        this.tsRecentStampMs = tcb.tsRecentStampMs;
        this.tsOffset = tcb.tsOffset;
        this.queue = tcb.txQueue;
    }

    @Override
    protected void expire(long nowNanos) {
        owner.expire(this);
    }
}
