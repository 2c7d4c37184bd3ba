package io.tcpstack.control;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * {@code ctl conns} output in the shape of iproute2's {@code ss -tan} (state names, Recv-Q and
 * Send-Q, local and peer address), and with {@code -i} a second, tab-indented line per connection
 * with the fields of {@code ss -tio} (ss.c tcp_stats_print: options, congestion control and its
 * state, rto and rtt in milliseconds, sizes, byte and segment counts, rates, unacked, retrans
 * current/total, lost, sacked, reordering, windows) and the pending timer with the time left, as
 * {@code ss -o} prints it.
 */
final class SsFormat {
    static final String HEADER = String.format("%-11s %-6s %-6s %-21s %s", "State", "Recv-Q", "Send-Q",
            "Local Address:Port", "Peer Address:Port");

    /** Listeners first, then by local port, IPv4 before IPv6 (as ss dumps them), peer address and peer port. */
    private static final Comparator<ConnectionInfo> ORDER = Comparator
            .comparing((ConnectionInfo c) -> c.state() != TcpState.LISTEN)
            .thenComparingInt(ConnectionInfo::localPort)
            .thenComparing(c -> !c.localAddress().isV4())
            .thenComparing(ConnectionInfo::remoteAddress, (a, b) -> a.hi() != b.hi()
                    ? Long.compareUnsigned(a.hi(), b.hi()) : Long.compareUnsigned(a.lo(), b.lo()))
            .thenComparingInt(ConnectionInfo::remotePort);

    private SsFormat() {
    }

    static List<String> lines(List<ConnectionInfo> connections, boolean details) {
        return lines(connections, details, null);
    }

    /** With {@code peer} (when not null), one more tab-indented line under each connection: its peer's view. */
    static List<String> lines(List<ConnectionInfo> connections, boolean details, Function<ConnectionInfo, String> peer) {
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        connections.stream().sorted(ORDER).forEach(c -> {
            lines.add(c.ssLine());
            if (details && c.details() != null) {
                lines.add("\t" + details(c.details()));
            }
            if (peer != null && c.state() != TcpState.LISTEN) {
                lines.add("\t" + peer.apply(c));
            }
        });
        return lines;
    }

    /** The -i line: ss's fields in ss's order (tcp_stats_print), zeros left out as ss leaves them. */
    static String details(ConnectionInfo.Details d) {
        if (d.isRecord()) {
            return "timer:(" + d.timer().ss() + ")"; // ss -o on a timewait socket: nothing else to show
        }
        StringBuilder sb = new StringBuilder();
        if (d.timestamps()) {
            sb.append(" ts");
        }
        if (d.sack()) {
            sb.append(" sack");
        }
        sb.append(' ').append(d.congestion()).append(" ca_state:").append(d.caState());
        sb.append(" wscale:").append(d.sndWscale()).append(',').append(d.rcvWscale());
        sb.append(" rto:").append(millis(d.rtoMicros()));
        positive(sb, "backoff:", d.backoff());
        if (d.rttMicros() > 0) {
            sb.append(" rtt:").append(millis(d.rttMicros())).append('/').append(millis(d.rttVarMicros()));
        }
        if (d.atoMicros() > 0) {
            sb.append(" ato:").append(millis(d.atoMicros()));
        }
        sb.append(" mss:").append(d.sndMss());
        sb.append(" rcvmss:").append(d.rcvMss());
        sb.append(" advmss:").append(d.advMss());
        sb.append(" cwnd:").append(d.cwnd());
        if (d.ssthresh() < 0xffff) { // ss prints ssthresh only below TCP_INFINITE_SSTHRESH's 16 bits
            sb.append(" ssthresh:").append(d.ssthresh());
        }
        positive(sb, "bytes_sent:", d.bytesSent());
        positive(sb, "bytes_retrans:", d.bytesRetrans());
        positive(sb, "bytes_acked:", d.bytesAcked());
        positive(sb, "bytes_received:", d.bytesReceived());
        positive(sb, "segs_out:", d.segsOut());
        positive(sb, "segs_in:", d.segsIn());
        positive(sb, "data_segs_out:", d.dataSegsOut());
        positive(sb, "data_segs_in:", d.dataSegsIn());
        if (d.rttMicros() > 0) {
            sb.append(" send ").append(bandwidth((double) d.cwnd() * d.sndMss() * 8e6 / d.rttMicros())).append("bps");
        }
        positive(sb, "lastsnd:", d.lastSendMs());
        positive(sb, "lastrcv:", d.lastRecvMs());
        positive(sb, "lastack:", d.lastAckMs());
        if (d.deliveryRateBps() > 0) {
            sb.append(" delivery_rate ").append(bandwidth(d.deliveryRateBps())).append("bps");
        }
        positive(sb, "unacked:", d.unacked());
        if (d.retransOut() > 0 || d.retransTotal() > 0) {
            sb.append(" retrans:").append(d.retransOut()).append('/').append(d.retransTotal());
        }
        positive(sb, "lost:", d.lost());
        positive(sb, "sacked:", d.sacked());
        positive(sb, "dsack_dups:", d.dsackDups());
        sb.append(" reordering:").append(d.reordering()); // ss omits 3, the default; shown here for a complete view
        positive(sb, "reord_seen:", d.reordSeen());
        positive(sb, "rcv_ssthresh:", d.rcvSsthresh());
        positive(sb, "notsent:", d.notSent());
        if (d.minRttMicros() > 0) {
            sb.append(" minrtt:").append(millis(d.minRttMicros()));
        }
        sb.append(" snd_wnd:").append(d.sndWnd());
        sb.append(" rcv_wnd:").append(d.rcvWnd());
        ConnectionInfo.Timer t = d.timer();
        if (!t.name().equals("off")) {
            sb.append(" timer:(").append(t.ss()).append(')');
        }
        return sb.substring(1);
    }

    private static void positive(StringBuilder sb, String name, long value) {
        if (value > 0) {
            sb.append(' ').append(name).append(value);
        }
    }

    /** Bits per second as ss prints them (iproute2 sprint_bw: three significant digits and k, M, G, T). */
    static String bandwidth(double bps) {
        String[] units = {"T", "G", "M", "k"};
        double[] scales = {1e12, 1e9, 1e6, 1e3};
        for (int i = 0; i < units.length; i++) {
            if (bps >= scales[i]) {
                return threeDigits(bps / scales[i]) + units[i];
            }
        }
        return threeDigits(bps);
    }

    /** C's %.3g for the values sprint_bw gives it (below 1000 after scaling): no exponent, no trailing zeros. */
    private static String threeDigits(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
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
