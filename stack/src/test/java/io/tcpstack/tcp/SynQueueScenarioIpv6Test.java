package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.Counter;
import io.tcpstack.testing.CaptureLink;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link SynQueueScenarioTest} over IPv6 (cookie_v6_init_sequence, cookie_v6_check): the same
 * request queue and cookies on a dual-stack host, the MSS from IPv6's cookie table; and a SYN
 * flood over IPv6 past the request queue.
 */
class SynQueueScenarioIpv6Test extends SynQueueScenarioTest {
    private static final int FLOOD = 200;

    SynQueueScenarioIpv6Test() {
        ipv6 = true;
    }

    @Test
    void a_syn_flood_over_ipv6_gets_cookie_syn_acks_and_a_cookie_ack_completes_a_connection() throws IOException {
        listen(cookieSettings(), 2);
        int sentBefore = h.sent.size();
        for (int i = 0; i < FLOOD; i++) {
            h.inject(from(50000 + i, "S", PEER_ISS + i, 0).options(TcpSegment.Options.syn(1460, -1, false, null, null))
                    .build());
        }
        Map<Integer, TcpSegment> synAcks = new HashMap<>();
        for (int i = 0; i < FLOOD; i++) {
            TcpSegment synAck = h.expect(match().flags("S.").dstPort(50000 + i).ack(PEER_ISS + i + 1));
            assertThat(synAck.destination()).isEqualTo(PacketHarness.PEER6);
            assertThat(synAck.options().mss()).as("our MSS over IPv6").isEqualTo(1440);
            synAcks.put(50000 + i, synAck);
        }
        List<CaptureLink.Sent> packets = h.sent.subList(sentBefore, h.sent.size());
        assertThat(packets).hasSize(FLOOD).allSatisfy(p -> assertThat(tcpChecksumValid(p.packet()))
                .as("an IPv6 packet, its TCP checksum over the IPv6 pseudo-header").isTrue());
        assertThat(requests()).as("the request queue: backlog + 1").isEqualTo(3);
        assertThat(stat(Counter.TcpExtSyncookiesSent)).isEqualTo(FLOOD - 3);
        assertThat(stat(Counter.TcpExtTCPReqQFullDoCookies)).isEqualTo(FLOOD - 3);
        assertThat(stat(Counter.TcpExtListenDrops)).isZero();

        int port = 50000 + FLOOD - 1; // answered with a cookie
        long cookie = u(synAcks.get(port).seq());
        long peerSeq = PEER_ISS + FLOOD - 1 + 1;
        h.inject(from(port, "P.", peerSeq, cookie + 1).payload("hello").build());
        assertThat(stat(Counter.TcpExtSyncookiesRecv)).isEqualTo(1);
        h.expect(match().flags(".").dstPort(port).seq(cookie + 1).ack(peerSeq + 5));
        conn = server.poll();
        assertThat(conn).as("accepted").isNotNull();
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(conn.remoteAddress()).isEqualTo(PacketHarness.PEER6);
        assertThat(conn.remotePort()).isEqualTo(port);
        ConnectionInfo.Details d = h.stack.connections().stream().filter(c -> c.remotePort() == port).findFirst()
                .orElseThrow().details();
        assertThat(d.sndMss()).as("the SYN's 1460 as IPv6's cookie table carries it").isEqualTo(1440);
        assertThat(stat(Counter.TcpExtSyncookiesFailed)).isZero();
    }

    /** Whether {@code packet} is IPv6 and its TCP checksum verifies over the IPv6 pseudo-header. */
    private static boolean tcpChecksumValid(byte[] packet) {
        ByteBuf b = Unpooled.wrappedBuffer(packet);
        if ((packet[0] >>> 4) != 6 || b.getUnsignedByte(6) != IpProtocol.TCP) {
            return false;
        }
        int length = packet.length - Ipv6View.HEADER_LENGTH;
        long pseudoHeader = Checksum.pseudoHeader6(b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32),
                IpProtocol.TCP, length);
        return new TcpView().wrap(b, Ipv6View.HEADER_LENGTH, length).checksumValid(pseudoHeader);
    }
}
