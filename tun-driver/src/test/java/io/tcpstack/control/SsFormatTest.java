package io.tcpstack.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.tcp.ConnectionInfo;
import io.tcpstack.tcp.TcpState;
import io.tcpstack.wire.IpAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ctl conns in ss's shapes. */
class SsFormatTest {
    private static final IpAddress US = IpAddress.parse("198.18.0.2");
    private static final IpAddress KERNEL = IpAddress.parse("198.18.0.1");
    private static final IpAddress US6 = IpAddress.parse("2001:2::2");
    private static final IpAddress KERNEL6 = IpAddress.parse("2001:2::1");

    @Test
    void listenersFirstThenByPortWithDetailsOnTheirOwnTabbedLine() {
        ConnectionInfo.Details d = new ConnectionInfo.Details(2875, 1093, 202_875, 10, 7, 1448, 536, 7, 7, true, true, 2,
                64512, 64128, "on");
        List<String> lines = SsFormat.lines(List.of(
                new ConnectionInfo(TcpState.ESTABLISHED, US, 80, KERNEL, 40000, 5, 0, d),
                new ConnectionInfo(TcpState.TIME_WAIT, US, 7, KERNEL, 39999, 0, 0, null),
                new ConnectionInfo(TcpState.LISTEN, US, 80, IpAddress.v4(0), 0, 0, 128, null)), true);
        assertThat(lines).containsExactly(
                "State       Recv-Q Send-Q Local Address:Port    Peer Address:Port",
                "LISTEN      0      128    198.18.0.2:80         0.0.0.0:*",
                "TIME-WAIT   0      0      198.18.0.2:7          198.18.0.1:39999",
                "ESTAB       5      0      198.18.0.2:80         198.18.0.1:40000",
                "\tts sack wscale:7,7 rto:202.875 rtt:2.875/1.093 mss:1448 rcvmss:536 cwnd:10 ssthresh:7 retrans:2"
                        + " snd_wnd:64512 rcv_wnd:64128 timer:(on)");
    }

    @Test
    void ipv6IsListedAfterIpv4InBracketsAsSsWritesIt() {
        List<String> lines = SsFormat.lines(List.of(
                new ConnectionInfo(TcpState.ESTABLISHED, US6, 80, KERNEL6, 40000, 0, 0, null),
                new ConnectionInfo(TcpState.LISTEN, US6, 80, IpAddress.V6_UNSPECIFIED, 0, 0, 128, null),
                new ConnectionInfo(TcpState.LISTEN, US, 80, IpAddress.v4(0), 0, 0, 128, null)), false);
        assertThat(lines).containsExactly(
                "State       Recv-Q Send-Q Local Address:Port    Peer Address:Port",
                "LISTEN      0      128    198.18.0.2:80         0.0.0.0:*",
                "LISTEN      0      128    [2001:2::2]:80        [::]:*",
                "ESTAB       0      0      [2001:2::2]:80        [2001:2::1]:40000");
    }

    @Test
    void millisecondsLikeSsPrintsThem() {
        assertThat(SsFormat.millis(200_000)).isEqualTo("200");
        assertThat(SsFormat.millis(50)).isEqualTo("0.05");
        assertThat(SsFormat.millis(1_500)).isEqualTo("1.5");
    }
}
