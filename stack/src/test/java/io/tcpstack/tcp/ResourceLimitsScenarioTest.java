package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.testing.Seg;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The stack-wide limits in a connection's life: tcp_max_orphans and tcp_orphan_retries (Linux
 * tcp_close, tcp_out_of_resources, tcp_write_timeout), max-connections, and the stack-wide
 * challenge ACK budget tcp_challenge_ack_limit (RFC 5961 7).
 */
class ResourceLimitsScenarioTest extends ScenarioBase {

    private static Seg.Builder from(int port, String flags, long seq, long ack) {
        return Seg.from(port, STACK_PORT).flags(flags).seq(seq).ack(ack);
    }

    /** A passive open from {@code port}, accepted; returns the stack's ISN. */
    private long established(int port) throws IOException {
        h.inject(from(port, "S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, -1, false, null, null)).build());
        long iss = u(h.expect(match().flags("S.").dstPort(port)).seq());
        h.inject(from(port, ".", PEER_ISS + 1, iss + 1).build());
        return iss;
    }

    /** A passive open from {@code port}, accepted by the application. */
    private Connection accepted(int port) throws IOException {
        established(port);
        return server.poll();
    }

    private TcpState state(int port) {
        return h.stack.connections().stream().filter(c -> c.remotePort() == port).map(ConnectionInfo::state)
                .findFirst().orElse(TcpState.CLOSED);
    }

    @Test
    void past_max_orphans_a_closed_connection_is_reset_instead_of_finishing() throws IOException {
        TcpSettings s = plainSettings();
        s.maxOrphans = 1;
        harness(s);
        listening();
        Connection first = accepted(50000);
        Connection second = accepted(50001);
        h.discardUnread();

        first.close();
        h.expect(match().flags("F.").dstPort(50000));
        assertThat(h.stack.tcp().orphanCount()).isEqualTo(1);
        second.close(); // two orphans > max-orphans 1: Linux tcp_close resets it
        assertThat(h.unread()).last().matches(match().flags("R.").dstPort(50001));
        assertThat(stat(Counter.TcpExtTCPAbortOnMemory)).isEqualTo(1);
        assertThat(state(50001)).isEqualTo(TcpState.CLOSED);
        assertThat(state(50000)).as("the first one finishes").isEqualTo(TcpState.FIN_WAIT_1);
        assertThat(h.stack.tcp().orphanCount()).isEqualTo(1);
    }

    @Test
    void an_orphan_gives_up_after_tcp_orphan_retries_a_connection_still_held_does_not() throws IOException {
        harness(plainSettings());
        listening();
        Connection orphan = accepted(50000);
        Connection held = accepted(50001);
        orphan.close(); // FIN; the peer never answers again
        held.shutdownOutput(); // FIN too, but the application keeps the socket
        h.advance(300_000);
        assertThat(state(50000)).as("8 retransmissions (tcp_orphan_retries 0), not 15").isEqualTo(TcpState.CLOSED);
        assertThat(state(50001)).isEqualTo(TcpState.FIN_WAIT_1);
        assertThat(stat(Counter.TcpExtTCPAbortOnTimeout)).isEqualTo(1);
        assertThat(h.stack.tcp().orphanCount()).isZero();
    }

    @Test
    void past_max_orphans_an_orphan_is_dropped_at_its_next_timeout() throws IOException {
        TcpSettings s = plainSettings();
        harness(s);
        listening();
        Connection a = accepted(50000);
        Connection b = accepted(50001);
        a.close();
        b.close();
        h.discardUnread();
        s.maxOrphans = 0; // lowered at run time: the next retransmission timeout finds too many
        h.advance(1000);
        assertThat(state(50000)).isEqualTo(TcpState.CLOSED);
        assertThat(state(50001)).isEqualTo(TcpState.CLOSED);
        assertThat(stat(Counter.TcpExtTCPAbortOnMemory)).isEqualTo(2);
        assertThat(h.unread()).as("each sent within TCP_TIMEWAIT_LEN: reset").filteredOn(t -> t.has(io.tcpstack.wire.TcpView.RST))
                .hasSize(2);
    }

    @Test
    void past_max_connections_syns_are_dropped_and_connects_refused() throws IOException {
        TcpSettings s = plainSettings();
        s.maxConnections = 1;
        harness(s);
        listening();
        established(50000);
        h.inject(from(50001, "S", PEER_ISS, 0).build());
        assertThat(h.unread()).as("SYN dropped").isEmpty();
        assertThat(stat(Counter.TcpExtTCPMaxConnectionsDrop)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtListenDrops)).isEqualTo(1);
        assertThatThrownBy(() -> h.stack.open(PacketHarness.PEER, 9, 0)).isInstanceOf(IOException.class)
                .hasMessageContaining("max-connections is 1");
        assertThat(stat(Counter.TcpExtTCPMaxConnectionsDrop)).isEqualTo(2);
    }

    @Test
    void tcp_challenge_ack_limit_bounds_challenge_acks_per_second_across_connections() throws IOException {
        TcpSettings s = plainSettings();
        s.challengeAckLimit = 1; // a budget drawn from [1, 1]: exactly one a second
        harness(s);
        listening();
        established(50000);
        established(50001);
        h.discardUnread();
        h.inject(from(50000, "R", PEER_ISS + 100, 0).build());
        h.expect(match().flags(".").dstPort(50000));
        h.inject(from(50001, "R", PEER_ISS + 100, 0).build());
        assertThat(h.unread()).as("the second's challenge ACK is over the budget").isEmpty();
        assertThat(stat(Counter.TcpExtTCPChallengeACK)).isEqualTo(1);
        h.advance(1000);
        h.inject(from(50001, "R", PEER_ISS + 100, 0).build());
        h.expect(match().flags(".").dstPort(50001));
        assertThat(stat(Counter.TcpExtTCPChallengeACK)).isEqualTo(2);
        assertThat(state(50000)).isEqualTo(TcpState.ESTABLISHED);
        assertThat(state(50001)).isEqualTo(TcpState.ESTABLISHED);
    }
}
