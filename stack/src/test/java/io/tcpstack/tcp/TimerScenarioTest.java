package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.testing.PacketHarness;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Timers on virtual time: SYN backoff, TIME_WAIT and FIN_WAIT_2 expiry, persist, retransmission, keepalive. */
class TimerScenarioTest extends ScenarioBase {

    private List<Long> synTimesUntilGiveUp() {
        h.advance(200_000);
        return h.history.stream().filter(t -> t.segment().flags() == Seg2.SYN).map(PacketHarness.Timed::atMillis)
                .map(ms -> ms - h.history.get(0).atMillis()).toList();
    }

    @Test
    void syn_retransmissions_back_off_1_2_4_8_seconds_then_time_out() throws IOException {
        synSent();
        assertThat(synTimesUntilGiveUp()).containsExactly(0L, 1000L, 3000L, 7000L, 15000L, 31000L, 63000L);
        assertThat(conn.state()).isEqualTo(TcpState.CLOSED);
        assertThat(conn.error()).isEqualTo(TcpError.TIMED_OUT);
        assertThat(h.history.get(h.history.size() - 1).atMillis() - h.history.get(0).atMillis()).isEqualTo(63000L);
        assertThat(stat(Counter.TcpExtTCPSynRetrans)).isEqualTo(6);
    }

    @Test
    void syn_linear_timeouts_like_linux_6_5() throws IOException {
        TcpSettings s = plainSettings();
        s.synLinearTimeouts = 4;
        harness(s);
        synSent();
        assertThat(synTimesUntilGiveUp()).containsExactly(0L, 1000L, 2000L, 3000L, 4000L, 5000L, 7000L, 11000L,
                19000L, 35000L, 67000L);
    }

    @Test
    void syn_ack_retransmissions_then_the_request_is_dropped() throws IOException {
        synReceived();
        h.advance(100_000);
        List<Long> times = h.history.stream().filter(t -> t.segment().flags() == (Seg2.SYN | Seg2.ACK))
                .map(PacketHarness.Timed::atMillis).map(ms -> ms - h.history.get(0).atMillis()).toList();
        assertThat(times).containsExactly(0L, 1000L, 3000L, 7000L, 15000L, 31000L);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED); // given up at 63 s, silently
        assertThat(h.unread().stream().filter(s -> s.has(Seg2.RST))).isEmpty();
    }

    @Test
    void time_wait_lasts_60_seconds_and_reacks_a_retransmitted_fin() throws IOException {
        finWait2();
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        h.advance(30_000);
        // the peer did not get our ACK and resends its FIN: ACK again, timer restarts
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        h.advance(59_000);
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        h.advance(1_001);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
    }

    @Test
    void time_wait_acks_every_retransmitted_fin_without_the_out_of_window_rate_limit() throws IOException {
        finWait2();
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        // our ACKs are lost; the peer in LAST_ACK resends its FIN after 200 ms, then 400 ms.
        // A FIN occupies sequence space, so tcp_oow_rate_limited does not limit its ACK.
        h.advance(200);
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        h.advance(400);
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        // old bare ACKs are still limited: one answer per 500 ms
        h.inject(peer(".", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        h.inject(peer(".", PEER_ISS + 1, iss + 2).build());
        assertThat(h.unread()).isEmpty();
        assertThat(stat(Counter.TcpExtTCPACKSkippedTimeWait)).isEqualTo(1);
    }

    @Test
    void orphaned_fin_wait_2_expires_after_fin_timeout() throws IOException {
        finWait1();
        conn.close(); // orphan: the application is gone
        h.inject(peer(".", PEER_ISS + 1, iss + 2).build());
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
        h.advance(59_999);
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
        h.advance(2);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        h.expectNothingFor(1000); // it disappears silently
    }

    @Test
    void fin_timeout_knob_shortens_orphaned_fin_wait_2_only() throws IOException {
        TcpSettings s = plainSettings();
        s.finTimeoutMs = 5_000;
        harness(s);
        finWait1();
        conn.close();
        h.inject(peer(".", PEER_ISS + 1, iss + 2).build());
        h.advance(5_001);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
    }

    @Test
    void non_orphaned_fin_wait_2_has_no_timeout() throws IOException {
        finWait2();
        h.advance(600_000);
        assertThat(conn.state()).isEqualTo(TcpState.FIN_WAIT_2);
    }

    @Test
    void zero_window_is_probed_with_backoff_and_data_flows_when_it_opens() throws Exception {
        establishedPassive();
        h.inject(peer(".", PEER_ISS + 1, iss + 1).window(0).build()); // peer closes its window
        byte[] data = new byte[100];
        assertThat(conn.write(data, 0, data.length, false, 0)).isEqualTo(100);
        h.expectNothingFor(199);
        // Linux tcp_probe0_when: max(RTO, 200 ms), doubling; the handshake's 1 us sample made RTO 201 ms
        PacketHarness.Timed p1 = h.advanceUntilSent(2_000);
        h.expect(match().flags(".").seq(iss).ack(PEER_ISS + 1).payloadLength(0));
        PacketHarness.Timed p2 = h.advanceUntilSent(5_000);
        h.expect(match().flags(".").seq(iss));
        assertThat(p2.atMillis() - p1.atMillis()).isEqualTo(2 * 201);
        assertThat(stat(Counter.TcpExtTCPWinProbe)).isEqualTo(2);
        h.inject(peer(".", PEER_ISS + 1, iss + 1).window(1000).build()); // window opens
        h.expect(match().flags("P.").seq(iss + 1).payloadLength(100));
    }

    @Test
    void lost_data_is_retransmitted_after_rto_with_backoff() throws Exception {
        establishedPassive();
        byte[] data = "0123456789".getBytes();
        conn.write(data, 0, data.length, false, 0);
        PacketHarness.Timed first = h.expectTimed(match().flags("P.").seq(iss + 1).payloadLength(10));
        PacketHarness.Timed r1 = h.advanceUntilSent(5_000);
        h.expect(match().flags("P.").seq(iss + 1).payloadLength(10));
        PacketHarness.Timed r2 = h.advanceUntilSent(5_000);
        h.expect(match().flags("P.").seq(iss + 1).payloadLength(10));
        // the handshake sampled 1 us: RTO = 1 us + max(4 x 0.5 us, rto_min) in whole jiffies, rounded
        // up (Linux __tcp_set_rto, as ss shows rto:201 on a fast path), then doubled (RFC 6298 5.5)
        assertThat(r1.atMillis() - first.atMillis()).isEqualTo(201);
        assertThat(r2.atMillis() - r1.atMillis()).isEqualTo(402);
        assertThat(stat(Counter.TcpRetransSegs)).isEqualTo(2);
        h.inject(peer(".", PEER_ISS + 1, iss + 11).build());
        h.expectNothingFor(10_000); // acknowledged: the timer stops
    }

    @Test
    void after_an_rto_an_ack_covering_the_first_fin_acknowledges_it() throws Exception {
        establishedPassive();
        byte[] data = new byte[3000];
        conn.write(data, 0, data.length, false, 0);
        conn.close();
        h.expect(match().flags(".").seq(iss + 1).payloadLength(1460));
        h.expect(match().flags(".").seq(iss + 1461).payloadLength(1460));
        h.expect(match().flags("P.").seq(iss + 2921).payloadLength(80));
        h.expect(match().flags("F.").seq(iss + 3001).payloadLength(0));
        // every ACK is lost: the RTO resends the head
        h.advanceUntilSent(5_000);
        h.expect(match().flags(".").seq(iss + 1).payloadLength(1460));
        // the peer had it all: its ACK covers the data and the FIN sent the first time
        h.inject(peer(".", PEER_ISS + 1, iss + 3002).build());
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
        assertThat(h.unread()).as("no second FIN at a new sequence number").isEmpty();
    }

    @Test
    void after_an_rto_the_lost_segments_and_the_fin_are_resent_at_their_own_sequence_numbers() throws Exception {
        establishedPassive();
        byte[] data = new byte[3000];
        conn.write(data, 0, data.length, false, 0);
        conn.close();
        h.discardUnread();
        h.advanceUntilSent(5_000);
        h.expect(match().flags(".").seq(iss + 1).payloadLength(1460));
        // the first segment arrived: the timeout marked everything lost (Linux tcp_enter_loss), and
        // slow start from cwnd 1 lets two go, each as it was first sent, then the FIN
        h.inject(peer(".", PEER_ISS + 1, iss + 1461).build());
        h.expect(match().flags(".").seq(iss + 1461).payloadLength(1460));
        h.expect(match().flags("P.").seq(iss + 2921).payloadLength(80));
        assertThat(h.unread()).isEmpty();
        h.inject(peer(".", PEER_ISS + 1, iss + 2921).build());
        h.expect(match().flags("F.").seq(iss + 3001).payloadLength(0));
        h.inject(peer(".", PEER_ISS + 1, iss + 3002).build());
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
    }

    @Test
    void acks_sent_while_go_back_n_resends_carry_the_highest_sequence_sent() throws Exception {
        establishedPassive();
        byte[] data = new byte[2920];
        conn.write(data, 0, data.length, false, 0);
        h.discardUnread();
        h.advanceUntilSent(5_000);
        h.expect(match().flags(".").seq(iss + 1).payloadLength(1460));
        // the peer's data arrives now; our ACK of it must not carry the rewound snd.nxt
        // (iss + 1461), which the peer, having received up to iss + 2921, finds unacceptable
        h.inject(peer("P.", PEER_ISS + 1, iss + 1).payload("hello").build());
        h.expect(match().flags(".").seq(iss + 2921).ack(PEER_ISS + 6).payloadLength(0));
    }

    @Test
    void data_retransmissions_give_up_after_the_retries2_time_model() throws Exception {
        establishedPassive();
        conn.write(new byte[10], 0, 10, false, 0);
        h.advance(2_000_000);
        assertThat(conn.state()).isEqualTo(TcpState.CLOSED);
        assertThat(conn.error()).isEqualTo(TcpError.TIMED_OUT);
        assertThat(TcpTimers.modelTimeoutMs(15, 200, 120_000)).isEqualTo(924_600);
        long firstRetransmission = h.history.get(4).atMillis();
        long lastSent = h.history.get(h.history.size() - 1).atMillis();
        assertThat(lastSent - firstRetransmission).isLessThan(924_600);
    }

    @Test
    void delayed_ack_after_quickack_segments() throws Exception {
        establishedPassive();
        for (int i = 0; i < TcpSettings.MAX_QUICKACKS; i++) {
            h.inject(peer("P.", PEER_ISS + 1 + i, iss + 1).payload("x").build());
            h.expect(match().flags(".").ack(PEER_ISS + 2 + i));
            conn.read(new byte[10], 0, 10, false, 0);
        }
        h.inject(peer("P.", PEER_ISS + 17, iss + 1).payload("y").build());
        assertThat(h.unread()).isEmpty();
        PacketHarness.Timed ack = h.advanceUntilSent(300);
        h.expect(match().flags(".").ack(PEER_ISS + 18));
        assertThat(ack.atMillis() - h.nowMillis()).isLessThanOrEqualTo(0);
        assertThat(stat(Counter.TcpExtDelayedACKs)).isEqualTo(1);
    }

    @Test
    void keepalive_probes_then_reset() throws Exception {
        establishedPassive();
        conn.setKeepAlive(true);
        h.advance(7_200_000 - 1);
        assertThat(h.unread()).isEmpty();
        h.advance(1);
        h.expect(match().flags(".").seq(iss)); // probe: snd.una - 1
        for (int i = 1; i < 9; i++) {
            h.advance(75_000);
            h.expect(match().flags(".").seq(iss));
        }
        h.advance(75_000);
        h.expect(match().flags("R.").seq(iss + 1));
        assertThat(conn.error()).isEqualTo(TcpError.TIMED_OUT);
    }

    /** Flag bits, short names. */
    private static final class Seg2 {
        static final int SYN = io.tcpstack.wire.TcpView.SYN;
        static final int ACK = io.tcpstack.wire.TcpView.ACK;
        static final int RST = io.tcpstack.wire.TcpView.RST;
    }
}
