package io.tcpstack.tcp;

import io.tcpstack.wire.Ipv4Address;

/**
 * A snapshot of one connection, like a line of {@code ss -tan} (plus {@code -i} details when
 * there is a Tcb behind it).
 *
 * @param recvQ bytes received and not read (LISTEN: accept queue length)
 * @param sendQ bytes queued and not acknowledged (LISTEN: backlog)
 * @param details rtt, rto, cwnd... for a full connection; for a TIME_WAIT or FIN_WAIT_2 record only
 *     its timer ({@link Details#record}); null for LISTEN
 */
public record ConnectionInfo(TcpState state, int localAddress, int localPort, int remoteAddress, int remotePort,
        int recvQ, int sendQ, Details details) {

    /** What {@code ss -ti} shows. */
    public record Details(long rttMicros, long rttVarMicros, long rtoMicros, int cwnd, int ssthresh, int sndMss,
            int rcvMss, int sndWscale, int rcvWscale, boolean timestamps, boolean sack, int retransmits,
            int sndWnd, int rcvWnd, String timer) {

        /**
         * A TIME_WAIT or FIN_WAIT_2 record: no control block, only the time it has left, as
         * {@code ss -o} shows a timewait socket's ({@code timewait,59sec,0}).
         */
        public static Details record(long msLeft) {
            return new Details(0, 0, 0, 0, 0, 0, 0, 0, 0, false, false, 0, 0, 0, "timewait," + ssTime(msLeft) + ",0");
        }

        /** Whether this is a record's: only the timer means anything. */
        public boolean isRecord() {
            return timer.startsWith("timewait,");
        }
    }

    /**
     * Milliseconds as iproute2's ss prints a timer (misc/ss.c print_ms_timer, iproute2 6.1): whole
     * minutes, then seconds, then milliseconds, the smaller units dropped once the larger are
     * big ("1min5sec", "59sec", "9.501ms" for 9.501 s as this ss writes it, "216ms").
     */
    public static String ssTime(long ms) {
        long secs = ms / 1000;
        long minutes = secs / 60;
        secs %= 60;
        long msecs = ms % 1000;
        StringBuilder sb = new StringBuilder();
        if (minutes > 0) {
            msecs = 0;
            sb.append(minutes).append("min");
            if (minutes > 9) {
                secs = 0;
            }
        }
        if (secs > 0) {
            if (secs > 9) {
                msecs = 0;
            }
            sb.append(secs).append(msecs > 0 ? "." : "sec");
        }
        if (msecs > 0) {
            sb.append(String.format("%03dms", msecs));
        }
        return sb.toString();
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
