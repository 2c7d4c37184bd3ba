package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.Profile;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.testing.Seg;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * TIME_WAIT's rules (stack/BEHAVIOURS.md 4; Linux tcp_timewait_state_process, tcp_twsk_unique and the
 * tw_recycle era's tcp_peer_is_proven), one test per rule. The peer's timestamp clock starts at
 * 5000 and ticks once per segment here. (Timer restart on a retransmitted FIN, the ACK rate
 * limit and fin_timeout for orphaned FIN_WAIT_2 are in TimerScenarioTest.)
 */
class TimeWaitScenarioTest extends ScenarioBase {
    private static final int OTHER_PEER_PORT = 40001;
    private long ourTs;

    private static TcpSettings timestamps() {
        TcpSettings s = plainSettings();
        s.timestamps = true;
        return s;
    }

    /** Passive open with timestamps (the peer's clock at 5000): ESTABLISHED, accepted. */
    private void passiveOpenWithTimestamps(TcpSettings s) throws IOException {
        harness(s);
        listening();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, -1, false, 5000L, 0L)).build());
        TcpSegment synAck = h.expect(match().flags("S."));
        iss = u(synAck.seq());
        ourTs = synAck.options().tsVal();
        h.inject(peer(".", PEER_ISS + 1, iss + 1).ts(5001, ourTs).build());
        conn = server.poll();
    }

    /** Passive open with timestamps; we close first; the peer's ACK and FIN: TIME_WAIT (server side). */
    private void serverTimeWait(TcpSettings s) throws IOException {
        passiveOpenWithTimestamps(s);
        closeFirst(5002);
    }

    /** Active open from port 80 with timestamps; we close first: TIME_WAIT (client side). */
    private void clientTimeWait() throws IOException {
        conn = h.stack.open(h.peer(), PEER_PORT, STACK_PORT);
        TcpSegment syn = h.expect(match().flags("S"));
        iss = u(syn.seq());
        ourTs = syn.options().tsVal();
        h.inject(peer("S.", PEER_ISS, iss + 1).options(TcpSegment.Options.syn(1460, -1, false, 5000L, ourTs)).build());
        h.expect(match().flags(".").ack(PEER_ISS + 1));
        closeFirst(5001);
    }

    private void closeFirst(long peerTs) {
        conn.shutdownOutput();
        h.expect(match().flags("F.").seq(iss + 1));
        h.inject(peer(".", PEER_ISS + 1, iss + 2).ts(peerTs, ourTs).build());
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).ts(peerTs + 1, ourTs).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
    }

    private TcpSegment newSyn(long seq, long tsVal) {
        return peer("S", seq, 0).options(TcpSegment.Options.syn(1460, -1, false, tsVal, 0L)).build();
    }

    @Test
    void rst_at_rcv_nxt_kills_the_record_when_rfc1337_is_0() throws IOException {
        serverTimeWait(timestamps());
        h.inject(peer("R", PEER_ISS + 2, 0).ts(5010, ourTs).build());
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        assertThat(stat(Counter.TcpExtTWKilled)).isEqualTo(1);
        assertThat(h.unread()).isEmpty();
    }

    @Test
    void rst_is_ignored_when_rfc1337_is_1() throws IOException {
        TcpSettings s = timestamps();
        s.rfc1337 = 1;
        serverTimeWait(s);
        h.inject(peer("R", PEER_ISS + 2, 0).ts(5010, ourTs).build());
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(stat(Counter.TcpExtTWKilled)).isZero();
    }

    @Test
    void a_syn_beyond_rcv_nxt_opens_a_new_connection_with_isn_old_snd_nxt_plus_65537() throws IOException {
        serverTimeWait(timestamps());
        h.inject(newSyn(PEER_ISS + 100_000, 5010));
        // tcp_timewait_state_process: isn = tw_snd_nxt + 65535 + 2; our old snd.nxt was iss + 2
        h.expect(match().flags("S.").seq(iss + 2 + 65537).ack(PEER_ISS + 100_001));
        assertThat(listedState()).isEqualTo(TcpState.SYN_RECEIVED);
    }

    @Test
    void a_syn_with_a_newer_timestamp_is_accepted_even_at_an_old_sequence_rfc_6191() throws IOException {
        serverTimeWait(timestamps());
        h.inject(newSyn(PEER_ISS - 50_000, 5010));
        h.expect(match().flags("S.").seq(iss + 2 + 65537).ack(PEER_ISS - 49_999));
    }

    @Test
    void an_old_syn_without_a_newer_timestamp_gets_the_time_wait_ack() throws IOException {
        serverTimeWait(timestamps());
        h.inject(newSyn(PEER_ISS - 50_000, 5003));
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
    }

    @Test
    void paws_in_time_wait_drops_an_old_timestamp_with_a_dup_ack() throws IOException {
        serverTimeWait(timestamps());
        h.inject(peer(".", PEER_ISS + 2, iss + 2).ts(4000, ourTs).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        assertThat(stat(Counter.TcpExtPAWSEstab)).isEqualTo(1);
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
    }

    @Test
    void over_max_tw_buckets_the_closer_skips_time_wait() throws IOException {
        TcpSettings s = timestamps();
        s.maxTwBuckets = 0;
        passiveOpenWithTimestamps(s);
        conn.shutdownOutput();
        h.expect(match().flags("F."));
        h.inject(peer(".", PEER_ISS + 1, iss + 2).ts(5002, ourTs).build());
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).ts(5003, ourTs).build());
        h.expect(match().flags(".").ack(PEER_ISS + 2));
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        assertThat(stat(Counter.TcpExtTCPTimeWaitOverflow)).isEqualTo(1);
    }

    @Test
    void timewait_len_sets_the_length_and_fin_timeout_does_not_touch_it() throws IOException {
        TcpSettings s = timestamps();
        s.timewaitLenMs = 10_000;
        s.finTimeoutMs = 1_000;
        serverTimeWait(s);
        h.advance(9_999);
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        h.advance(1);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        assertThat(stat(Counter.TcpExtTW)).isEqualTo(1);
        h.expectNothingFor(1_000); // expiry is silent
    }

    /** A client whose only ephemeral port (80) is held by its own TIME_WAIT record. */
    private void clientTimeWaitOnTheOnlyPort(int twReuse) throws IOException {
        TcpSettings s = timestamps();
        s.twReuse = twReuse;
        s.portRangeLow = STACK_PORT;
        s.portRangeHigh = STACK_PORT;
        harness(s);
        clientTimeWait();
    }

    private void assertNoFreePort() {
        assertThatThrownBy(() -> h.stack.open(h.peer(), PEER_PORT, 0))
                .hasMessageContaining("no free local port");
    }

    @Test
    void tw_reuse_0_keeps_a_time_wait_4_tuple_taken_for_ephemeral_connects() throws IOException {
        clientTimeWaitOnTheOnlyPort(0);
        h.advance(5_000);
        assertNoFreePort();
    }

    @Test
    void tw_reuse_1_reuses_a_time_wait_4_tuple_once_its_last_timestamp_is_over_a_second_old() throws IOException {
        clientTimeWaitOnTheOnlyPort(1);
        h.advance(1_000);
        assertNoFreePort();
        h.advance(1);
        conn = h.stack.open(h.peer(), PEER_PORT, 0);
        // tcp_twsk_unique: write_seq = tw_snd_nxt + 65535 + 2
        h.expect(match().flags("S").seq(iss + 2 + 65537));
        assertThat(stat(Counter.TcpExtTWRecycled)).isEqualTo(1);
    }

    @Test
    void a_bound_port_reuses_a_time_wait_4_tuple_at_once_when_it_had_timestamps() throws IOException {
        TcpSettings s = timestamps();
        s.twReuse = 0;
        harness(s);
        clientTimeWait();
        conn = h.stack.open(h.peer(), PEER_PORT, STACK_PORT);
        h.expect(match().flags("S").seq(iss + 2 + 65537));
        assertThat(stat(Counter.TcpExtTWRecycled)).isEqualTo(1);
    }

    @Test
    void a_bound_port_without_timestamps_stays_taken() throws IOException {
        harness(plainSettings());
        establishedActive();
        conn.shutdownOutput();
        h.expect(match().flags("F."));
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").ack(PEER_ISS + 2));
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        assertThatThrownBy(() -> h.stack.open(h.peer(), PEER_PORT, STACK_PORT))
                .hasMessageContaining("address already in use");
    }

    @Test
    void tw_recycle_shortens_time_wait_to_three_and_a_half_rto() throws IOException {
        TcpSettings s = timestamps();
        Profile.LINUX_4_9.applyTo(s);
        serverTimeWait(s);
        // the handshake's RTT sample on virtual time is 0: RTO = 200 ms, 3.5 x RTO = 700 ms
        h.advance(699);
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        h.advance(1);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
    }

    @Test
    void tw_recycle_silently_drops_a_syn_from_the_same_address_with_an_older_timestamp() throws IOException {
        TcpSettings s = timestamps();
        Profile.LINUX_4_9.applyTo(s);
        serverTimeWait(s);
        // another host behind the same NAT: its clock is unrelated to the first one's
        Seg.Builder other = Seg.from(OTHER_PEER_PORT, STACK_PORT).v6(ipv6).flags("S").seq(77_000);
        h.inject(other.options(TcpSegment.Options.syn(1460, -1, false, 3000L, 0L)).build());
        assertThat(h.unread()).isEmpty();
        assertThat(stat(Counter.TcpExtPAWSPassive)).isEqualTo(1);
        // within TCP_PAWS_WINDOW of the remembered TSval, or newer, it is let in
        h.inject(other.options(TcpSegment.Options.syn(1460, -1, false, 5002L, 0L)).build());
        h.expect(match().flags("S.").ack(77_001));
    }

    @Test
    void tw_recycle_forgets_a_peer_after_60_seconds_and_is_off_by_default() throws IOException {
        TcpSettings s = timestamps();
        Profile.LINUX_4_9.applyTo(s);
        serverTimeWait(s);
        h.advance(60_000);
        Seg.Builder other = Seg.from(OTHER_PEER_PORT, STACK_PORT).v6(ipv6).flags("S").seq(77_000);
        h.inject(other.options(TcpSegment.Options.syn(1460, -1, false, 3000L, 0L)).build());
        h.expect(match().flags("S.").ack(77_001));
        assertThat(new TcpSettings().twRecycle).isFalse();
    }
}
