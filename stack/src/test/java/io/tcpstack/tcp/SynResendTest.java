package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.Profile;
import io.tcpstack.profile.SynResend;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.testing.PacketHarness;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * SYN-SENT and an unacceptable ACK (stack/BEHAVIOURS.md 2): RST seq=SEG.ACK, stay in SYN-SENT, resend
 * the SYN after the initial RTO (linux-5.5) or after TCP_TIMEOUT_MIN, once (linux-5.6).
 */
class SynResendTest extends ScenarioBase {

    private PacketHarness.Timed firstSyn;

    private void synSentWith(Profile profile) throws IOException {
        TcpSettings s = plainSettings();
        profile.applyTo(s);
        harness(s);
        conn = h.stack.open(h.peer(), PEER_PORT, STACK_PORT);
        firstSyn = h.expectTimed(match().flags("S"));
        iss = u(firstSyn.segment().seq());
    }

    /** What the peer's FIN_WAIT_2 record sends: an ACK of an old flow. */
    private void bogusAck(long at) {
        h.advance(at - (h.nowMillis() - firstSyn.atMillis()));
        h.inject(peer(".", 5000, 777_777).build());
        h.expect(match().flags("R").seq(777_777).ack(0).window(0).noOptions());
        assertThat(conn.state()).isEqualTo(TcpState.SYN_SENT);
    }

    @Test
    void rto_init_resends_the_syn_a_full_second_after_the_first() throws IOException {
        synSentWith(Profile.LINUX_5_5);
        assertThat(h.settings.synResend).isEqualTo(SynResend.RTO_INIT);
        bogusAck(5);
        PacketHarness.Timed resend = h.advanceUntilSent(2000);
        h.expect(match().flags("S").seq(iss));
        assertThat(resend.atMillis() - firstSyn.atMillis()).isEqualTo(1000);
    }

    @Test
    void timeout_min_resends_the_syn_within_10_ms() throws IOException {
        synSentWith(Profile.LINUX_5_6);
        bogusAck(5);
        PacketHarness.Timed resend = h.advanceUntilSent(2000);
        h.expect(match().flags("S").seq(iss));
        assertThat(resend.atMillis() - firstSyn.atMillis()).isEqualTo(5 + 2);
        h.inject(peer("S.", 9000, iss + 1).build());
        h.expect(match().flags(".").ack(9001));
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void only_one_early_resend_then_normal_backoff() throws IOException {
        synSentWith(Profile.LINUX_5_6);
        bogusAck(5);
        PacketHarness.Timed early = h.advanceUntilSent(100);
        h.expect(match().flags("S"));
        // a second bogus ACK: RST again, but the next SYN follows the normal schedule (backed-off RTO)
        bogusAck(20);
        PacketHarness.Timed next = h.advanceUntilSent(5000);
        h.expect(match().flags("S"));
        assertThat(next.atMillis() - early.atMillis()).isEqualTo(2000);
    }

    @Test
    void an_rst_ack_with_a_bad_ack_gets_no_rst_but_still_the_early_resend() throws IOException {
        synSentWith(Profile.LINUX_5_6);
        h.inject(peer("R.", 5000, 777_777).build());
        assertThat(h.unread()).isEmpty();
        PacketHarness.Timed resend = h.advanceUntilSent(100);
        assertThat(resend.atMillis() - firstSyn.atMillis()).isEqualTo(2);
        assertThat(conn.state()).isEqualTo(TcpState.SYN_SENT);
    }

    @Test
    void profiles_set_the_knobs_and_knobs_override() {
        TcpSettings s = new TcpSettings();
        Profile.LINUX_4_9.applyTo(s);
        assertThat(s.twRecycle).isTrue();
        assertThat(s.synResend).isEqualTo(SynResend.RTO_INIT);
        s.synResend = SynResend.TIMEOUT_MIN;
        assertThat(s.profile).isEqualTo(Profile.LINUX_4_9);
        Profile.RSS.applyTo(s);
        assertThat(s.affinity).isEqualTo(io.tcpstack.profile.Affinity.FLOW);
        assertThat(Profile.parse("linux-5.5")).isEqualTo(Profile.LINUX_5_5);
    }
}
