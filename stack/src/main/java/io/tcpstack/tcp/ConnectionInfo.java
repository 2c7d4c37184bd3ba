package io.tcpstack.tcp;

import io.tcpstack.wire.Ipv4Address;

/**
 * A snapshot of one connection, like a line of {@code ss -tan} (plus {@code -i} details when
 * there is a Tcb behind it).
 *
 * @param recvQ bytes received and not read (LISTEN: accept queue length)
 * @param sendQ bytes queued and not acknowledged (LISTEN: backlog)
 * @param details rtt, rto, cwnd... for a full connection; null for LISTEN and TIME_WAIT records
 */
public record ConnectionInfo(TcpState state, int localAddress, int localPort, int remoteAddress, int remotePort,
        int recvQ, int sendQ, Details details) {

    /** What {@code ss -ti} shows. */
    public record Details(long rttMicros, long rttVarMicros, long rtoMicros, int cwnd, int ssthresh, int sndMss,
            int rcvMss, int sndWscale, int rcvWscale, boolean timestamps, boolean sack, int retransmits,
            int sndWnd, int rcvWnd, String timer) {
    }

    static ConnectionInfo of(Tcb tcb) {
        tcb.lock.lock();
        try {
            String timer = tcb.retransmitKind == Tcb.TimerKind.RETRANSMIT ? "on"
                    : tcb.retransmitKind == Tcb.TimerKind.PERSIST ? "persist"
                    : tcb.keepaliveTimer.isArmed() ? "keepalive" : "off";
            Details d = new Details(tcb.rtt.srttMicros(), tcb.rtt.rttVarMicros(), tcb.rtt.rtoMicros(), tcb.cong.cwnd,
                    tcb.cong.ssthresh, tcb.sndMss, tcb.rcvMss, tcb.sndWscale, tcb.rcvWscale, tcb.tsOk, tcb.sackOk,
                    tcb.retransmits, tcb.sndWnd, tcb.rcvWnd, timer);
            return new ConnectionInfo(tcb.state, tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort,
                    tcb.receiveBuffer.size(), tcb.sendBuffer.size(), d);
        } finally {
            tcb.lock.unlock();
        }
    }

    /** "ESTAB 0 0 198.18.0.2:80 198.18.0.1:40000", the columns of ss -tan. */
    public String ssLine() {
        String peer = state == TcpState.LISTEN ? "0.0.0.0:*" : Ipv4Address.format(remoteAddress) + ":" + remotePort;
        return String.format("%-11s %-6d %-6d %-21s %s", state.ssName(), recvQ, sendQ,
                Ipv4Address.format(localAddress) + ":" + localPort, peer);
    }
}
