package io.tcpstack.tcp;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.ConnectionInfo.Details;
import io.tcpstack.api.types.ConnectionInfo.Timer;

/** A connection's STATUS for applications and ss-style listings (Linux tcp_get_info). */
final class TcpInfo {
    private TcpInfo() {}

    static ConnectionInfo of(Tcb tcb) {
        tcb.lock.lock();
        try {
            long now = tcb.layer.clock().nanos();
            ConnectionCounters c = tcb.counters;
            RetransmitQueue q = tcb.rtx;
            Details d = new Details(tcb.tsOk, tcb.sackOk, tcb.cc.name(), tcb.caState.ssName(), tcb.sndWscale,
                    tcb.rcvWscale, tcb.rtt.rtoMicros(), tcb.rtt.backoffCount(), tcb.rtt.srttMicros(),
                    tcb.rtt.rttVarMicros(), tcb.atoMs * 1000, tcb.sndMss, tcb.rcvMss, tcb.advMss, tcb.cong.cwnd,
                    tcb.cong.ssthresh, tcb.bytesSent, tcb.bytesRetrans, tcb.bytesAcked, tcb.bytesReceived, c.segsOut,
                    c.segsIn, c.dataSegsOut, c.dataSegsIn, since(now, c.lastSendNanos), since(now, c.lastRecvNanos),
                    since(now, c.lastAckNanos), tcb.deliveryRateBps, q.packetsOut(), q.retransOut(), tcb.totalRetrans,
                    q.lostOut(), q.sackedOut(), tcb.dsackDups, tcb.reordering, tcb.reordSeen, tcb.rcvSsthresh,
                    tcb.unsentBytes(), tcb.minRttMicros, tcb.sndWnd, tcb.rcvWnd, timer(tcb, now));
            return new ConnectionInfo(tcb.state, tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort,
                    tcb.receiveBuffer.size(), tcb.sendBuffer.size(), d);
        } finally {
            tcb.lock.unlock();
        }
    }

    private static long since(long now, long then) {
        return then == 0 ? -1 : (now - then) / 1_000_000;
    }

    /**
     * Linux inet_diag's idiag_timer: the retransmit timer first (the RTO, RACK's reordering timer and
     * the tail loss probe show as "on"), then a zero-window probe, else keepalive.
     */
    private static Timer timer(Tcb tcb, long now) {
        Tcb.TimerKind kind = tcb.retransmitKind;
        if (kind == Tcb.TimerKind.PERSIST) {
            return new Timer("persist", left(tcb.retransmitTimer.deadlineNanos(), now), tcb.probesOut);
        }
        if (kind != Tcb.TimerKind.NONE) {
            return new Timer("on", left(tcb.retransmitTimer.deadlineNanos(), now), tcb.retransmits);
        }
        if (tcb.keepaliveTimer.isArmed()) {
            return new Timer("keepalive", left(tcb.keepaliveTimer.deadlineNanos(), now), tcb.probesOut);
        }
        return Timer.OFF;
    }

    private static long left(long deadline, long now) {
        return Math.max(0, (deadline - now) / 1_000_000);
    }
}
