package io.tcpstack.control;

import io.tcpstack.tcp.ConnectionInfo;
import io.tcpstack.tcp.TcpState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code ctl conns} output in the shape of iproute2's {@code ss -tan} (state names, Recv-Q and
 * Send-Q, local and peer address), and with {@code -i} a second, tab-indented line per connection
 * with the fields of {@code ss -ti} that the stack has (ss.c tcp_show_info: ts, sack, wscale,
 * rto and rtt in milliseconds, mss, rcvmss, cwnd, ssthresh, retrans, snd_wnd) and the pending
 * timer as {@code ss -o} names it.
 */
final class SsFormat {
    static final String HEADER = String.format("%-11s %-6s %-6s %-21s %s", "State", "Recv-Q", "Send-Q",
            "Local Address:Port", "Peer Address:Port");

    /** Listeners first, then by local port, peer address and peer port. */
    private static final Comparator<ConnectionInfo> ORDER = Comparator
            .comparing((ConnectionInfo c) -> c.state() != TcpState.LISTEN)
            .thenComparingInt(ConnectionInfo::localPort)
            .thenComparingLong(c -> Integer.toUnsignedLong(c.remoteAddress()))
            .thenComparingInt(ConnectionInfo::remotePort);

    private SsFormat() {
    }

    static List<String> lines(List<ConnectionInfo> connections, boolean details) {
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        connections.stream().sorted(ORDER).forEach(c -> {
            lines.add(c.ssLine());
            if (details && c.details() != null) {
                lines.add("\t" + details(c.details()));
            }
        });
        return lines;
    }

    static String details(ConnectionInfo.Details d) {
        if (d.isRecord()) {
            return "timer:(" + d.timer() + ")"; // ss -o on a timewait socket: nothing else to show
        }
        StringBuilder sb = new StringBuilder();
        if (d.timestamps()) {
            sb.append(" ts");
        }
        if (d.sack()) {
            sb.append(" sack");
        }
        sb.append(" wscale:").append(d.sndWscale()).append(',').append(d.rcvWscale());
        sb.append(" rto:").append(millis(d.rtoMicros()));
        sb.append(" rtt:").append(millis(d.rttMicros())).append('/').append(millis(d.rttVarMicros()));
        sb.append(" mss:").append(d.sndMss());
        sb.append(" rcvmss:").append(d.rcvMss());
        sb.append(" cwnd:").append(d.cwnd());
        if (d.ssthresh() < 0xffff) { // ss prints ssthresh only below TCP_INFINITE_SSTHRESH's 16 bits
            sb.append(" ssthresh:").append(d.ssthresh());
        }
        sb.append(" retrans:").append(d.retransmits());
        sb.append(" snd_wnd:").append(d.sndWnd());
        sb.append(" rcv_wnd:").append(d.rcvWnd());
        if (!d.timer().equals("off")) {
            sb.append(" timer:(").append(d.timer()).append(')');
        }
        return sb.substring(1);
    }

    /** Microseconds as milliseconds the way ss prints them (%g: no trailing zeros). */
    static String millis(long micros) {
        if (micros % 1000 == 0) {
            return Long.toString(micros / 1000);
        }
        String s = String.format("%d.%03d", micros / 1000, micros % 1000);
        return s.replaceAll("0+$", "");
    }
}
