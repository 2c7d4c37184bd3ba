package io.tcpstack.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.wire.IpAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ctl conns in ss's shapes. */
class SsFormatTest {
    private static final IpAddress US = IpAddress.parse("198.18.0.2");
    private static final IpAddress KERNEL = IpAddress.parse("198.18.0.1");
    private static final IpAddress US6 = IpAddress.parse("2001:2::2");
    private static final IpAddress KERNEL6 = IpAddress.parse("2001:2::1");

    /** A connection in SACK recovery with a retransmission outstanding: every field ss -tio shows. */
    private static ConnectionInfo.Details recovering() {
        return new ConnectionInfo.Details(true, true, "cubic", "recovery", 7, 7, 202_875, 0, 2875, 1093, 40_000, 1448,
                536, 1460, 10, 7, 1_500_000, 2896, 1_400_000, 300, 1040, 520, 1036, 2, 4, 12, 1, 100_000_000, 70, 1, 2,
                1, 3, 0, 3, 1, 64088, 0, 2500, 64512, 64128, new ConnectionInfo.Timer("on", 203, 0));
    }

    @Test
    void listenersFirstThenByPortWithDetailsOnTheirOwnTabbedLine() {
        List<String> lines = SsFormat.lines(List.of(
                new ConnectionInfo(TcpState.ESTABLISHED, US, 80, KERNEL, 40000, 5, 0, recovering()),
                new ConnectionInfo(TcpState.TIME_WAIT, US, 7, KERNEL, 39999, 0, 0, null),
                new ConnectionInfo(TcpState.LISTEN, US, 80, IpAddress.v4(0), 0, 0, 128, null)), true);
        assertThat(lines).containsExactly(
                "State       Recv-Q Send-Q Local Address:Port    Peer Address:Port",
                "LISTEN      0      128    198.18.0.2:80         0.0.0.0:*",
                "TIME-WAIT   0      0      198.18.0.2:7          198.18.0.1:39999",
                "ESTAB       5      0      198.18.0.2:80         198.18.0.1:40000",
                "\tts sack cubic ca_state:recovery wscale:7,7 rto:202.875 rtt:2.875/1.093 ato:40 mss:1448 rcvmss:536"
                        + " advmss:1460 cwnd:10 ssthresh:7 bytes_sent:1500000 bytes_retrans:2896 bytes_acked:1400000"
                        + " bytes_received:300 segs_out:1040 segs_in:520 data_segs_out:1036 data_segs_in:2"
                        + " send 40.3Mbps lastsnd:4 lastrcv:12 lastack:1 delivery_rate 100Mbps unacked:70 retrans:1/2"
                        + " lost:1 sacked:3 reordering:3 reord_seen:1 rcv_ssthresh:64088 minrtt:2.5 snd_wnd:64512 rcv_wnd:64128"
                        + " timer:(on,203ms,0)");
    }

    @Test
    void aPeerLineFollowsEachConnectionButNotListeners() {
        List<String> lines = SsFormat.lines(List.of(new ConnectionInfo(TcpState.ESTABLISHED, US, 80, KERNEL, 40000, 0, 0,
                recovering()), new ConnectionInfo(TcpState.LISTEN, US, 80, IpAddress.v4(0), 0, 0, 128, null)), false,
                c -> "kernel ESTAB 0 0 198.18.0.1:" + c.remotePort() + " 198.18.0.2:" + c.localPort());
        assertThat(lines).containsExactly(SsFormat.HEADER, "LISTEN      0      128    198.18.0.2:80         0.0.0.0:*",
                "ESTAB       0      0      198.18.0.2:80         198.18.0.1:40000",
                "\tkernel ESTAB 0 0 198.18.0.1:40000 198.18.0.2:80");
    }

    @Test
    void timersAndRatesLikeSsPrintsThem() {
        assertThat(ConnectionInfo.ssTime(203)).isEqualTo("203ms");
        assertThat(ConnectionInfo.ssTime(5)).isEqualTo("005ms");
        assertThat(ConnectionInfo.ssTime(12_400)).isEqualTo("12sec");
        assertThat(ConnectionInfo.ssTime(720_000)).isEqualTo("12min");
        assertThat(SsFormat.bandwidth(231_700_000)).isEqualTo("232M");
        assertThat(SsFormat.bandwidth(1_500)).isEqualTo("1.5k");
        assertThat(SsFormat.bandwidth(12)).isEqualTo("12");
        assertThat(SsFormat.bandwidth(9.1e9)).isEqualTo("9.1G");
    }

    @Test
    void ipv6IsListedAfterIpv4InBracketsAsSsWritesIt() {
        List<String> lines = SsFormat.lines(List.of(
                new ConnectionInfo(TcpState.ESTABLISHED, US6, 80, KERNEL6, 40000, 0, 0, null),
                new ConnectionInfo(TcpState.LISTEN, US6, 80, IpAddress.V6_UNSPECIFIED, 0, 0, 128, null),
                new ConnectionInfo(TcpState.LISTEN, US, 80, IpAddress.v4(0), 0, 0, 128, null)), false);
        assertThat(lines).containsExactly(
                SsFormat.HEADER,
                "LISTEN      0      128    198.18.0.2:80         0.0.0.0:*",
                "LISTEN      0      128    [2001:2::2]:80        [::]:*",
                "ESTAB       0      0      [2001:2::2]:80        [2001:2::1]:40000");
    }

    @Test
    void recordsShowTheTimeTheyHaveLeftAsSsDoesForTimewaitSockets() {
        List<String> lines = SsFormat.lines(List.of(
                new ConnectionInfo(TcpState.TIME_WAIT, US, 80, KERNEL, 40000, 0, 0, ConnectionInfo.Details.record(59_400)),
                new ConnectionInfo(TcpState.FIN_WAIT_2, US, 80, KERNEL, 40001, 0, 0, ConnectionInfo.Details.record(216))),
                true);
        assertThat(lines).containsExactly(SsFormat.HEADER,
                "TIME-WAIT   0      0      198.18.0.2:80         198.18.0.1:40000", "\ttimer:(timewait,59sec,0)",
                "FIN-WAIT-2  0      0      198.18.0.2:80         198.18.0.1:40001", "\ttimer:(timewait,216ms,0)");
    }

    /** iproute2 6.1 misc/ss.c print_ms_timer, as this machine's ss prints them. */
    @Test
    void timersLikeSs() {
        assertThat(ConnectionInfo.ssTime(59_999)).isEqualTo("59sec");
        assertThat(ConnectionInfo.ssTime(9_501)).isEqualTo("9.501ms");
        assertThat(ConnectionInfo.ssTime(216)).isEqualTo("216ms");
        assertThat(ConnectionInfo.ssTime(65_000)).isEqualTo("1min5sec");
        assertThat(ConnectionInfo.ssTime(600_000)).isEqualTo("10min");
    }

    @Test
    void stateFilterTakesSsNamesAndGroups() {
        assertThat(StateFilter.parse(List.of("time-wait")).matches(TcpState.TIME_WAIT)).isTrue();
        assertThat(StateFilter.parse(List.of("time-wait")).matches(TcpState.FIN_WAIT_2)).isFalse();
        assertThat(StateFilter.parse(List.of("time-wait", "fin-wait-2")).matches(TcpState.FIN_WAIT_2)).isTrue();
        assertThat(StateFilter.parse(List.of("connected")).matches(TcpState.LISTEN)).isFalse();
        assertThat(StateFilter.parse(List.of("bucket")).matches(TcpState.SYN_RECEIVED)).isTrue();
        assertThat(StateFilter.parse(List.of()).matches(TcpState.LISTEN)).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StateFilter.parse(List.of("timewait")))
                .hasMessageContaining("unknown state 'timewait'").hasMessageContaining("time-wait");
    }

    @Test
    void millisecondsLikeSsPrintsThem() {
        assertThat(SsFormat.millis(200_000)).isEqualTo("200");
        assertThat(SsFormat.millis(50)).isEqualTo("0.05");
        assertThat(SsFormat.millis(1_500)).isEqualTo("1.5");
    }
}
