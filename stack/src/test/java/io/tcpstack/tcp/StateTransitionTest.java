package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.Counter;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** One test per edge of the RFC 9293 3.3.2 state diagram, against a scripted peer on virtual time. */
class StateTransitionTest extends ScenarioBase {

    @Test
    void closed_to_listen_on_passive_open() throws IOException {
        listening();
        assertThat(h.stack.connections()).anyMatch(c -> c.state() == TcpState.LISTEN && c.localPort() == STACK_PORT);
        h.expectNothingFor(10_000);
    }

    @Test
    void listen_to_closed_on_close() throws IOException {
        listening();
        server.close();
        assertThat(h.stack.connections()).noneMatch(c -> c.localPort() == STACK_PORT);
        h.inject(peer("S", PEER_ISS, 0).build());
        h.expect(match().flags("R.").seq(0).ack(PEER_ISS + 1));
    }

    @Test
    void closed_to_syn_sent_on_active_open() throws IOException {
        synSent();
        assertThat(listedState()).isEqualTo(TcpState.SYN_SENT);
        assertThat(stat(Counter.TcpActiveOpens)).isEqualTo(1);
    }

    @Test
    void listen_to_syn_received_on_syn() throws IOException {
        synReceived();
        assertThat(listedState()).isEqualTo(TcpState.SYN_RECEIVED);
    }

    @Test
    void syn_sent_to_established_on_syn_ack() throws IOException {
        establishedActive();
        assertThat(listedState()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void syn_sent_to_syn_received_on_simultaneous_open() throws IOException {
        synSent();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, -1, false, null, null)).build());
        // the same ISS again, now with ACK (RFC 9293 3.5 figure 7)
        h.expect(match().flags("S.").seq(iss).ack(PEER_ISS + 1));
        assertThat(conn.state()).isEqualTo(TcpState.SYN_RECEIVED);
        h.inject(peer("S.", PEER_ISS, iss + 1).build());
        h.expect(match().flags(".").seq(iss + 1).ack(PEER_ISS + 1));
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void syn_sent_to_closed_on_close() throws IOException {
        synSent();
        conn.close();
        assertThat(conn.state()).isEqualTo(TcpState.CLOSED);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        h.expectNothingFor(10_000); // no SYN retransmission after the TCB is gone
    }

    @Test
    void syn_received_to_established_on_ack() throws IOException {
        establishedPassive();
        assertThat(stat(Counter.TcpPassiveOpens)).isEqualTo(1);
    }

    @Test
    void syn_received_to_listen_on_rst() throws IOException {
        synReceived();
        h.inject(peer("R", PEER_ISS + 1, 0).build());
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        assertThat(server.poll()).isNull();
        // the listener is still there: a new SYN gets a SYN-ACK
        h.inject(peer("S", PEER_ISS + 5000, 0).build());
        h.expect(match().flags("S.").ack(PEER_ISS + 5001));
    }

    @Test
    void syn_received_to_fin_wait_1_on_close() throws IOException {
        synSent();
        h.inject(peer("S", PEER_ISS, 0).build());
        h.expect(match().flags("S.").seq(iss));
        conn.shutdownOutput();
        assertThat(conn.state()).isEqualTo(TcpState.FIN_WAIT_1);
        // the FIN follows once the handshake completes (no data may precede the SYN's ACK)
        h.inject(peer(".", PEER_ISS + 1, iss + 1).build());
        h.expect(match().flags("F.").seq(iss + 1).ack(PEER_ISS + 1));
    }

    @Test
    void established_to_fin_wait_1_on_close() throws IOException {
        finWait1();
    }

    @Test
    void nagle_holds_a_small_segment_while_an_earlier_small_one_is_unacknowledged_and_close_sends_it_with_the_fin()
            throws Exception {
        establishedPassive();
        byte[] data = new byte[2000];
        conn.write(data, 0, data.length, false, 0);
        h.expect(match().flags(".").seq(iss + 1).payloadLength(1460));
        // Linux tcp_nagle_check with Minshall's rule: no small segment is in flight, the tail goes
        h.expect(match().flags("P.").seq(iss + 1461).payloadLength(540));
        conn.write(data, 0, 100, false, 0);
        assertThat(h.unread()).as("the 540-byte segment is unacknowledged: the 100 bytes wait").isEmpty();
        conn.close();
        // Linux tcp_nagle_test exempts the final FIN: the held bytes leave now, carrying it
        h.expect(match().flags("FP.").seq(iss + 2001).payloadLength(100));
        assertThat(conn.state()).isEqualTo(TcpState.FIN_WAIT_1);
    }

    @Test
    void established_to_close_wait_on_fin() throws IOException {
        closeWait();
        byte[] buf = new byte[10];
        assertThat(read(buf)).isEqualTo(-1);
    }

    @Test
    void fin_wait_1_to_fin_wait_2_on_ack_of_fin() throws IOException {
        finWait2();
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
    }

    @Test
    void fin_wait_1_to_closing_on_fin() throws IOException {
        finWait1();
        h.inject(peer("F.", PEER_ISS + 1, iss + 1).build()); // does not ACK our FIN
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        assertThat(conn.state()).isEqualTo(TcpState.CLOSING);
    }

    @Test
    void fin_wait_1_to_time_wait_on_fin_acking_our_fin() throws IOException {
        finWait1();
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
    }

    @Test
    void fin_wait_2_to_time_wait_on_fin() throws IOException {
        finWait2();
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(conn.state()).isEqualTo(TcpState.CLOSED); // the Tcb handed over to the record
    }

    @Test
    void closing_to_time_wait_on_ack_of_fin() throws IOException {
        fin_wait_1_to_closing_on_fin();
        h.inject(peer(".", PEER_ISS + 2, iss + 2).build());
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
    }

    @Test
    void close_wait_to_last_ack_on_close() throws IOException {
        closeWait();
        conn.close();
        h.expect(match().flags("F.").seq(iss + 1).ack(PEER_ISS + 2));
        assertThat(conn.state()).isEqualTo(TcpState.LAST_ACK);
    }

    @Test
    void last_ack_to_closed_on_ack_of_fin() throws IOException {
        close_wait_to_last_ack_on_close();
        h.inject(peer(".", PEER_ISS + 2, iss + 2).build());
        assertThat(conn.state()).isEqualTo(TcpState.CLOSED);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        assertThat(conn.error()).isNull();
    }

    @Test
    void time_wait_to_closed_on_timeout() throws IOException {
        fin_wait_2_to_time_wait_on_fin();
        h.advance(59_999);
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        h.advance(2);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        assertThat(stat(Counter.TcpExtTW)).isEqualTo(1);
    }

    @Test
    void established_to_closed_on_rst() throws IOException {
        establishedPassive();
        h.inject(peer("R", PEER_ISS + 1, 0).build());
        assertThat(conn.state()).isEqualTo(TcpState.CLOSED);
        assertThat(conn.error()).isEqualTo(TcpError.CONNECTION_RESET);
        assertThat(stat(Counter.TcpEstabResets)).isEqualTo(1);
    }

    @Test
    void syn_sent_to_closed_on_rst_ack_is_connection_refused() throws IOException {
        synSent();
        h.inject(peer("R.", 0, iss + 1).build());
        assertThat(conn.state()).isEqualTo(TcpState.CLOSED);
        assertThat(conn.error()).isEqualTo(TcpError.CONNECTION_REFUSED);
        assertThat(stat(Counter.TcpAttemptFails)).isEqualTo(1);
    }

    @Test
    void established_to_closed_on_abort_sends_rst() throws IOException {
        establishedPassive();
        conn.abort();
        h.expect(match().flags("R.").seq(iss + 1).ack(PEER_ISS + 1));
        assertThat(conn.state()).isEqualTo(TcpState.CLOSED);
    }

    @Test
    void close_with_linger_zero_sends_rst_like_linux() throws IOException {
        establishedPassive();
        conn.setLingerZero(true);
        conn.close();
        h.expect(match().flags("R.").seq(iss + 1));
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
    }

    @Test
    void close_with_unread_data_sends_rst_like_linux() throws IOException {
        establishedPassive();
        h.inject(peer("P.", PEER_ISS + 1, iss + 1).payload("hello").build());
        h.discardUnread();
        conn.close();
        h.expect(match().flags("R.").seq(iss + 1).ack(PEER_ISS + 6));
        assertThat(stat(Counter.TcpExtTCPAbortOnClose)).isEqualTo(1);
    }

    @Test
    void segment_to_closed_port_gets_rst() {
        harness(plainSettings());
        h.inject(peer("S", PEER_ISS, 0).build());
        h.expect(match().flags("R.").seq(0).ack(PEER_ISS + 1).window(0).noOptions());
        h.inject(peer(".", PEER_ISS, 777).build());
        h.expect(match().flags("R").seq(777).window(0));
        h.inject(peer("R", PEER_ISS, 0).build());
        h.expectNothingFor(1000); // never answer an RST
        assertThat(h.stack.stats().get(io.tcpstack.stats.DropReason.TCP_NO_SOCKET)).isEqualTo(3);
    }

    int read(byte[] buf) {
        try {
            return conn.read(buf, 0, buf.length, false, 0);
        } catch (TcpException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
