package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.ip.Icmp6;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.testing.Ipv6Packet;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TCP over IPv6 against a scripted peer: the MSS and windows of a 1500-byte link (1440, 64800),
 * resets, checksums over the IPv6 pseudo-header, a flow label per connection drawn again on
 * every retransmission timeout, Packet Too Big shrinking the segments in flight, TIME_WAIT
 * records of IPv6 connections, and the listing of a dual-stack host.
 */
class Ipv6TcpScenarioTest extends ScenarioBase {
    Ipv6TcpScenarioTest() {
        ipv6 = true;
    }

    @Test
    void the_syn_ack_offers_mss_1440_and_a_window_of_whole_segments() throws IOException {
        synReceived();
        TcpSegment synAck = h.history.get(0).segment();
        assertThat(synAck.options().mss()).isEqualTo(1440);
        assertThat(synAck.window()).isEqualTo(64800);
        assertThat(synAck.source()).isEqualTo(PacketHarness.STACK6);
        assertThat(synAck.destination()).isEqualTo(PacketHarness.PEER6);
    }

    @Test
    void with_timestamps_the_syn_ack_window_is_whole_segments_of_1428() throws IOException {
        harness(new TcpSettings());
        listening();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(1440, 7, true, 5000L, 0L)).build());
        TcpSegment synAck = h.expect(match().flags("S."));
        assertThat(synAck.window()).isEqualTo(64260);
    }

    @Test
    void our_syn_offers_mss_1440_and_window_64800() throws IOException {
        synSent();
        TcpSegment syn = h.history.get(0).segment();
        assertThat(syn.options().mss()).isEqualTo(1440);
        assertThat(syn.window()).isEqualTo(64800);
    }

    @Test
    void a_segment_for_no_socket_gets_an_ipv6_reset() throws IOException {
        harness(plainSettings());
        h.inject(peer("S", PEER_ISS, 0).build());
        TcpSegment rst = h.expect(match().flags("R.").seq(0).ack(PEER_ISS + 1));
        assertThat(rst.destination()).isEqualTo(PacketHarness.PEER6);
        assertThat(h.history.get(0).flowLabel()).as("a reset's label is a hash of its flow").isNotZero();
    }

    @Test
    void a_checksum_that_ignores_the_ipv6_pseudo_header_is_bad() throws IOException {
        listening();
        ByteBuf packet = peer("S", PEER_ISS, 0).build().emit(UnpooledByteBufAllocator.DEFAULT);
        byte[] p = ByteBufUtil.getBytes(packet);
        packet.release();
        p[40 + 16] ^= 0x01;
        h.injectRaw(p);
        assertThat(stat(Counter.TcpInCsumErrors)).isEqualTo(1);
        assertThat(h.stack.stats().get(DropReason.TCP_CSUM)).isEqualTo(1);
        assertThat(h.unread()).isEmpty();
    }

    @Test
    void every_segment_of_a_connection_carries_its_flow_label_and_a_timeout_draws_a_new_one() throws IOException, InterruptedException {
        establishedPassive();
        conn.write(new byte[100], 0, 100, false, 0);
        h.expect(match().flags("P.").payloadLength(100));
        List<Integer> labels = h.history.stream().map(PacketHarness.Timed::flowLabel).distinct().toList();
        assertThat(labels).hasSize(1);
        assertThat(labels.get(0)).isNotZero();
        PacketHarness.Timed resent = h.advanceUntilSent(5000);
        h.expect(match().flags("P.").payloadLength(100));
        assertThat(resent.flowLabel()).as("sk_rethink_txhash on the timeout").isNotEqualTo(labels.get(0));
        assertThat(stat(Counter.TcpExtTcpTimeoutRehash)).isEqualTo(1);
    }

    /** ESTABLISHED with the peer announcing MSS 1440, {@code n} full segments in flight. */
    private long[] fullSegmentsInFlight(int n) throws IOException, InterruptedException {
        listening();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(1440, -1, false, null, null)).build());
        iss = u(h.expect(match().flags("S.")).seq());
        h.inject(peer(".", PEER_ISS + 1, iss + 1).build());
        conn = server.poll();
        conn.write(new byte[n * 1440], 0, n * 1440, false, 0);
        long[] seqs = new long[n];
        for (int i = 0; i < n; i++) {
            seqs[i] = u(h.expect(match().payloadLength(1440)).seq());
        }
        return seqs;
    }

    /** The peer's router's Packet Too Big about our segment starting at {@code seq}. */
    private byte[] packetTooBig(int mtu, long seq) {
        TcpSegment ours = new TcpSegment(PacketHarness.STACK6, PacketHarness.PEER6, STACK_PORT, PEER_PORT, (int) seq,
                (int) PEER_ISS + 1, 0x10, 1000, TcpSegment.Options.NONE, new byte[1440]);
        ByteBuf b = ours.emit(UnpooledByteBufAllocator.DEFAULT);
        byte[] quoted = Arrays.copyOf(ByteBufUtil.getBytes(b), 1232);
        b.release();
        return Ipv6Packet.toStack().source(IpAddress.parse("2001:2::1")).icmp(Icmp6.TYPE_PACKET_TOO_BIG, 0, mtu, quoted)
                .build();
    }

    @Test
    void a_packet_too_big_resends_what_is_in_flight_cut_to_the_new_mss_and_new_data_follows_in_it() throws IOException, InterruptedException {
        long[] seqs = fullSegmentsInFlight(4);
        h.injectRaw(packetTooBig(1280, seqs[0]));
        // 1280 - 40 - 20 = 1220 bytes a segment: each 1440-byte segment goes again as 1220 + 220
        h.expect(match().seq(seqs[0]).payloadLength(1220));
        h.expect(match().seq(seqs[0] + 1220).payloadLength(220));
        h.expect(match().seq(seqs[1]).payloadLength(1220));
        assertThat(stat(Counter.TcpRetransSegs)).isGreaterThanOrEqualTo(2);
        h.discardUnread();
        h.inject(peer(".", PEER_ISS + 1, seqs[3] + 1440).window(65535).build());
        conn.write(new byte[3000], 0, 3000, false, 0);
        h.expect(match().seq(seqs[3] + 1440).payloadLength(1220));
        assertThat(conn.info().details().sndMss()).isEqualTo(1220);
    }

    @Test
    void a_packet_too_big_below_1280_is_ignored() throws IOException, InterruptedException {
        long[] seqs = fullSegmentsInFlight(2);
        h.injectRaw(packetTooBig(1200, seqs[0]));
        assertThat(h.unread()).isEmpty();
        assertThat(conn.info().details().sndMss()).isEqualTo(1440);
    }

    @Test
    void a_packet_too_big_about_data_not_in_flight_is_out_of_window() throws IOException, InterruptedException {
        long[] seqs = fullSegmentsInFlight(2);
        h.injectRaw(packetTooBig(1280, seqs[0] - 100_000));
        assertThat(stat(Counter.TcpExtOutOfWindowIcmps)).isEqualTo(1);
        assertThat(h.unread()).isEmpty();
        assertThat(conn.info().details().sndMss()).isEqualTo(1440);
    }

    @Test
    void the_listing_shows_a_listener_per_family_and_ipv6_connections_as_ss_does() throws IOException {
        establishedPassive();
        List<String> lines = h.stack.connections().stream().map(ConnectionInfo::ssLine).toList();
        assertThat(lines).anyMatch(l -> l.startsWith("LISTEN") && l.contains("198.18.0.2:80") && l.endsWith("0.0.0.0:*"));
        assertThat(lines).anyMatch(l -> l.startsWith("LISTEN") && l.contains("[2001:2::2]:80") && l.endsWith("[::]:*"));
        assertThat(lines).anyMatch(l -> l.startsWith("ESTAB") && l.contains("[2001:2::2]:80")
                && l.endsWith("[2001:2::1]:40000"));
    }

    @Test
    void an_ipv6_time_wait_record_keeps_the_address_and_answers_with_the_connections_label() throws IOException {
        finWait2();
        int label = h.history.get(h.history.size() - 1).flowLabel();
        conn.close();
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").ack(PEER_ISS + 2));
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        ConnectionInfo record = h.stack.connections().stream().filter(c -> c.state() == TcpState.TIME_WAIT).findFirst()
                .orElseThrow();
        assertThat(record.remoteAddress()).isEqualTo(PacketHarness.PEER6);
        assertThat(record.ssLine()).endsWith("[2001:2::1]:40000");
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build()); // a retransmitted FIN: the record ACKs it
        PacketHarness.Timed ack = h.expectTimed(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        assertThat(ack.flowLabel()).isEqualTo(label);
        assertThat(ack.segment().destination()).isEqualTo(PacketHarness.PEER6);
    }

    @Test
    void an_ipv4_and_an_ipv6_connection_on_the_same_ports_are_two_connections() throws IOException {
        establishedPassive();
        Connection v6 = conn;
        h.inject(Seg4.syn());
        TcpSegment synAck4 = h.expect(match().flags("S."));
        assertThat(synAck4.source()).isEqualTo(IpAddress.v4(PacketHarness.STACK));
        assertThat(v6.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(h.stack.tcp().connectionCount()).isEqualTo(2);
    }

    /** The same peer ports over IPv4. */
    private static final class Seg4 {
        static TcpSegment syn() {
            return io.tcpstack.testing.Seg.from(PEER_PORT, STACK_PORT).flags("S").seq(PEER_ISS).build();
        }
    }

    @Test
    void with_ipv6_off_a_connect_to_an_ipv6_address_is_refused() {
        harness(plainSettings());
        h.settings.ipv6 = false;
        assertThatThrownBy(() -> h.stack.open(PacketHarness.PEER6, PEER_PORT, 0)).isInstanceOf(IOException.class)
                .hasMessageContaining("unreachable");
        assertThat(h.unread()).isEmpty();
    }

    @Test
    void a_connect_to_a_multicast_address_is_refused() {
        harness(plainSettings());
        assertThatThrownBy(() -> h.stack.open(IpAddress.parse("ff02::1"), PEER_PORT, 0)).isInstanceOf(IOException.class)
                .hasMessageContaining("unicast");
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void the_reassembled_segment_of_two_fragments_is_taken() throws IOException {
        establishedPassive();
        TcpSegment data = peer("P.", PEER_ISS + 1, iss + 1).payload(new byte[2000]).build();
        ByteBuf b = data.emit(UnpooledByteBufAllocator.DEFAULT);
        byte[] tcp = Arrays.copyOfRange(ByteBufUtil.getBytes(b), 40, b.readableBytes());
        b.release();
        h.injectRaw(Ipv6Packet.toStack().fragment(0, true, 5).upper(IpProtocol.TCP, Arrays.copyOf(tcp, 1200), -1).build());
        h.injectRaw(Ipv6Packet.toStack().fragment(1200, false, 5)
                .upper(IpProtocol.TCP, Arrays.copyOfRange(tcp, 1200, tcp.length), -1).build());
        assertThat(conn.available()).isEqualTo(2000);
    }
}
