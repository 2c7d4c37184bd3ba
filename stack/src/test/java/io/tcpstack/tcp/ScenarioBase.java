package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.inbound.InboundQueues;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.testing.Seg;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;

/**
 * Fixtures for scenario tests against a scripted peer (smoltcp's socket_syn_received() style):
 * each brings a connection to a named state with exact segments. The peer's ISN is {@link
 * #PEER_ISS}; timestamps are off unless a test turns them on, so segments stay small.
 */
abstract class ScenarioBase {
    static final int STACK_PORT = 80;
    static final int PEER_PORT = 40000;
    static final long PEER_ISS = 1000;

    /** The scripted peer speaks IPv6 to a dual-stack host: subclasses run a suite over IPv6. */
    boolean ipv6;
    PacketHarness h;
    /** The stack's ISN of the connection under test. */
    long iss;
    Connection conn;
    TcpServerSocket server;

    PacketHarness harness(TcpSettings settings) {
        return harness(settings, 1, InboundQueues.Mode.INLINE);
    }

    PacketHarness harness(TcpSettings settings, int queues, InboundQueues.Mode mode) {
        h = new PacketHarness(settings, queues, mode, ipv6);
        return h;
    }

    /** Our MSS at MTU 1500: 1460 over IPv4, 1440 over IPv6. */
    int ourMss() {
        return ipv6 ? 1440 : 1460;
    }

    static TcpSettings plainSettings() {
        TcpSettings s = new TcpSettings();
        s.timestamps = false;
        s.sack = false;
        s.windowScaling = false;
        return s;
    }

    @AfterEach
    void closeHarness() {
        if (h != null) {
            h.close();
        }
    }

    Seg.Builder peer(String flags, long seq, long ack) {
        return Seg.from(PEER_PORT, STACK_PORT).v6(ipv6).flags(flags).seq(seq).ack(ack);
    }

    long u(int seq) {
        return Integer.toUnsignedLong(seq);
    }

    /** LISTEN on port 80. */
    void listening() throws IOException {
        if (h == null) {
            harness(plainSettings());
        }
        server = h.stack.listen(STACK_PORT, 16);
    }

    /** Passive open up to SYN-RECEIVED: the peer's SYN is answered with SYN-ACK. */
    void synReceived() throws IOException {
        listening();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, -1, false, null, null)).build());
        TcpSegment synAck = h.expect(match().flags("S.").ack(PEER_ISS + 1));
        iss = u(synAck.seq());
    }

    /** Passive open completed and accepted: ESTABLISHED. */
    void establishedPassive() throws IOException {
        synReceived();
        h.inject(peer(".", PEER_ISS + 1, iss + 1).build());
        conn = server.poll();
        assertThat(conn).as("accepted").isNotNull();
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    /** Active open to the peer's port: SYN-SENT. */
    void synSent() throws IOException {
        if (h == null) {
            harness(plainSettings());
        }
        conn = h.stack.open(h.peer(), PEER_PORT, STACK_PORT);
        TcpSegment syn = h.expect(match().flags("S"));
        iss = u(syn.seq());
        assertThat(conn.state()).isEqualTo(TcpState.SYN_SENT);
    }

    /** Active open completed: ESTABLISHED. */
    void establishedActive() throws IOException {
        synSent();
        h.inject(peer("S.", PEER_ISS, iss + 1).options(TcpSegment.Options.syn(1460, -1, false, null, null)).build());
        h.expect(match().flags(".").seq(iss + 1).ack(PEER_ISS + 1));
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    /** Our close sent a FIN: FIN-WAIT-1 (passive side of the handshake, so the app holds conn). */
    void finWait1() throws IOException {
        establishedPassive();
        conn.shutdownOutput();
        h.expect(match().flags("F.").seq(iss + 1).ack(PEER_ISS + 1));
        assertThat(conn.state()).isEqualTo(TcpState.FIN_WAIT_1);
    }

    /** Our FIN acknowledged, the application still holds the socket: FIN-WAIT-2. */
    void finWait2() throws IOException {
        finWait1();
        h.inject(peer(".", PEER_ISS + 1, iss + 2).build());
        assertThat(conn.state()).isEqualTo(TcpState.FIN_WAIT_2);
    }

    /** The peer's FIN arrived: CLOSE-WAIT. */
    void closeWait() throws IOException {
        establishedPassive();
        h.inject(peer("F.", PEER_ISS + 1, iss + 1).build());
        h.expect(match().flags(".").seq(iss + 1).ack(PEER_ISS + 2));
        assertThat(conn.state()).isEqualTo(TcpState.CLOSE_WAIT);
    }

    /** States as the stack's own connection list shows them for the peer's 4-tuple. */
    TcpState listedState() {
        return h.stack.connections().stream()
                .filter(c -> c.remotePort() == PEER_PORT && c.localPort() == STACK_PORT)
                .map(ConnectionInfo::state).findFirst().orElse(TcpState.CLOSED);
    }

    int stat(io.tcpstack.stats.Counter c) {
        return (int) h.stack.stats().get(c);
    }
}
