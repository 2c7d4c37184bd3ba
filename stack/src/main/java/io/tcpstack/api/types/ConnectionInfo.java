package io.tcpstack.api.types;

import io.tcpstack.wire.IpAddress;

/**
 * A snapshot of one connection, like a line of {@code ss -tan} (plus {@code -i} details when
 * there is a Tcb behind it).
 *
 * @param localAddress our address, of the connection's family (IPv4 ones IPv4-mapped, {@link IpAddress})
 * @param recvQ bytes received and not read (LISTEN: accept queue length)
 * @param sendQ bytes queued and not acknowledged (LISTEN: backlog)
 * @param details rtt, rto, cwnd... for a full connection; for a TIME_WAIT or FIN_WAIT_2 record only
 *     its timer ({@link Details#record}); null for LISTEN
 */
public record ConnectionInfo(TcpState state, IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort,
        int recvQ, int sendQ, Details details) {

    /**
     * What {@code ss -tio} shows of a connection (iproute2 tcp_show_info, from Linux's tcp_info),
     * plus the congestion state: times in microseconds, windows in bytes, counts in segments.
     *
     * @param backoff exponential backoffs of the retransmission timer (tcpi_backoff)
     * @param unacked segments sent and not acknowledged (packets_out)
     * @param retransOut retransmitted segments not yet acknowledged (retrans_out)
     * @param retransTotal segments retransmitted over the connection's life (total_retrans)
     * @param lastSendMs milliseconds since data was last sent, received, acknowledged (-1: never)
     * @param deliveryRateBps the last delivery rate sample, bits a second
     * @param caState the congestion state: open, disorder, cwr, recovery, loss
     */
    public record Details(boolean timestamps, boolean sack, String congestion, String caState, int sndWscale,
            int rcvWscale, long rtoMicros, int backoff, long rttMicros, long rttVarMicros, long atoMicros, int sndMss,
            int rcvMss, int advMss, int cwnd, int ssthresh, long bytesSent, long bytesRetrans, long bytesAcked,
            long bytesReceived, long segsOut, long segsIn, long dataSegsOut, long dataSegsIn, long lastSendMs,
            long lastRecvMs, long lastAckMs, long deliveryRateBps, int unacked, int retransOut, long retransTotal,
            int lost, int sacked, long dsackDups, int reordering, int reordSeen, int rcvSsthresh, int notSent,
            long minRttMicros, int sndWnd, int rcvWnd, Timer timer) {

        /**
         * A TIME_WAIT or FIN_WAIT_2 record: no control block, only the time it has left, as
         * {@code ss -o} shows a timewait socket's ({@code timewait,59sec,0}).
         */
        public static Details record(long msLeft) {
            return new Details(false, false, "", "", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new Timer(Timer.TIMEWAIT, msLeft, 0));
        }

        /** Whether this is a record's: only the timer means anything. */
        public boolean isRecord() {
            return timer.name().equals(Timer.TIMEWAIT);
        }
    }

    /**
     * The pending timer as {@code ss -o} shows it: {@code timer:(on,203ms,0)}.
     *
     * @param name on (retransmission), persist, keepalive, timewait (a record's); off when none is pending
     * @param count retransmissions for "on", probes sent for the others
     */
    public record Timer(String name, long leftMillis, int count) {
        public static final Timer OFF = new Timer("off", 0, 0);
        static final String TIMEWAIT = "timewait";

        /** {@code on,203ms,0}: what ss -o prints between the parentheses of {@code timer:(...)}. */
        public String ss() {
            return name + "," + ssTime(leftMillis) + "," + count;
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

    /** "ESTAB 0 0 198.18.0.2:80 198.18.0.1:40000" (IPv6: "[2001:2::2]:80"), the columns of ss -tan. */
    public String ssLine() {
        String peer = state != TcpState.LISTEN ? remoteAddress.withPort(remotePort)
                : localAddress.isV4() ? "0.0.0.0:*" : "[::]:*";
        return String.format("%-11s %-6d %-6d %-21s %s", state.ssName(), recvQ, sendQ, localAddress.withPort(localPort),
                peer);
    }
}
