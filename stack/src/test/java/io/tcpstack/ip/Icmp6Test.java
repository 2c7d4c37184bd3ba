package io.tcpstack.ip;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.inbound.InboundQueues;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.testing.CaptureLink;
import io.tcpstack.testing.Ipv6Packet;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861) as a host on a TUN link does them: echo,
 * the checksum over the pseudo-header, solicitations answered and router messages ignored,
 * port unreachable for UDP, the icmp6_ratelimit limits, and no error about an error.
 */
class Icmp6Test {
    private final PacketHarness h = new PacketHarness(new TcpSettings(), 1, InboundQueues.Mode.INLINE, true);

    @AfterEach
    void close() {
        h.close();
    }

    private long stat(Counter c) {
        return h.stack.stats().get(c);
    }

    /** The next packet sent: ICMPv6, its checksum valid; its view. */
    private Ipv6View sent() {
        CaptureLink.Sent s = h.pollOther();
        assertThat(s).as("an ICMPv6 message was sent").isNotNull();
        ByteBuf p = Unpooled.wrappedBuffer(s.packet());
        Ipv6View ip = new Ipv6View().wrap(p, 0);
        assertThat(ip.nextHeader()).isEqualTo(IpProtocol.ICMPV6);
        int length = ip.declaredPayloadLength();
        assertThat(Checksum.fold(Checksum.sum(p, 40, length, ip.pseudoHeader(IpProtocol.ICMPV6, length))))
                .as("checksum over the pseudo-header").isZero();
        return ip;
    }

    private static int type(Ipv6View ip) {
        return ip.buf().getUnsignedByte(40);
    }

    @Test
    void echo_reply_carries_the_identifier_sequence_data_and_traffic_class_back_with_hop_limit_64() {
        byte[] data = new byte[1400];
        Arrays.fill(data, (byte) 0x5a);
        h.injectRaw(Ipv6Packet.toStack().trafficClass(0x28).echoRequest(0xbeef, 3, data).build());
        Ipv6View reply = sent();
        assertThat(type(reply)).isEqualTo(Icmp6.TYPE_ECHO_REPLY);
        assertThat(reply.buf().getInt(44)).isEqualTo(0xbeef << 16 | 3);
        assertThat(reply.declaredPayloadLength()).isEqualTo(8 + 1400);
        assertThat(reply.buf().getByte(40 + 8 + 1399)).isEqualTo((byte) 0x5a);
        assertThat(reply.hopLimit()).isEqualTo(64);
        assertThat(reply.trafficClass()).isEqualTo(0x28);
        assertThat(reply.destination()).isEqualTo(PacketHarness.PEER6);
        assertThat(stat(Counter.Icmp6OutEchoReplies)).isEqualTo(1);
        assertThat(stat(Counter.Icmp6InMsgs)).isEqualTo(1);
    }

    @Test
    void a_bad_checksum_is_counted_and_dropped() {
        byte[] p = Ipv6Packet.toStack().echoRequest(1, 1, new byte[8]).build();
        p[p.length - 1] ^= 1;
        h.injectRaw(p);
        assertThat(stat(Counter.Icmp6InCsumErrors)).isEqualTo(1);
        assertThat(stat(Counter.Icmp6InErrors)).isEqualTo(1);
        assertThat(h.stack.stats().get(DropReason.ICMP_CSUM)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void a_checksum_computed_without_the_pseudo_header_is_bad() {
        byte[] p = Ipv6Packet.toStack().echoRequest(1, 1, new byte[8]).build();
        ByteBuf b = Unpooled.wrappedBuffer(p);
        b.setShort(42, 0);
        b.setShort(42, Checksum.compute(b, 40, p.length - 40));
        h.injectRaw(p);
        assertThat(stat(Counter.Icmp6InCsumErrors)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void a_message_shorter_than_its_header_is_an_error() {
        h.injectRaw(Ipv6Packet.toStack().upper(IpProtocol.ICMPV6, new byte[] {(byte) 128, 0, 0, 0}, 2).build());
        assertThat(stat(Counter.Icmp6InErrors)).isEqualTo(1);
        assertThat(stat(Counter.Icmp6InCsumErrors)).isZero();
        assertThat(h.pendingPackets()).isZero();
    }

    /** A neighbour solicitation for {@code target}, hop limit 255 unless given. */
    private static Ipv6Packet solicitation(IpAddress target, byte... options) {
        byte[] body = new byte[16 + options.length];
        ByteBuf b = Unpooled.wrappedBuffer(body);
        target.write(b, 0);
        System.arraycopy(options, 0, body, 16, options.length);
        return Ipv6Packet.toStack().hopLimit(255).icmp(Icmp6.TYPE_NEIGHBOR_SOLICITATION, 0, 0, body);
    }

    @Test
    void a_neighbour_solicitation_for_our_address_is_answered_solicited_without_a_link_address() {
        h.injectRaw(solicitation(PacketHarness.STACK6).build());
        Ipv6View na = sent();
        assertThat(type(na)).isEqualTo(Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT);
        assertThat(na.hopLimit()).isEqualTo(255);
        assertThat(na.destination()).isEqualTo(PacketHarness.PEER6);
        assertThat(na.buf().getInt(44)).as("solicited, no override for a unicast solicitation").isEqualTo(0x4000_0000);
        assertThat(IpAddress.read(na.buf(), 48)).isEqualTo(PacketHarness.STACK6);
        assertThat(na.declaredPayloadLength()).as("no target link-layer address option").isEqualTo(24);
        assertThat(stat(Counter.Icmp6OutNeighborAdvertisements)).isEqualTo(1);
    }

    @Test
    void a_solicitation_to_our_solicited_node_group_gets_override() {
        h.injectRaw(solicitation(PacketHarness.STACK6).destination("ff02::1:ff00:2").build());
        Ipv6View na = sent();
        assertThat(na.buf().getInt(44)).isEqualTo(0x4000_0000 | 0x2000_0000);
    }

    @Test
    void a_duplicate_address_probe_is_answered_on_all_nodes_unsolicited() {
        h.injectRaw(solicitation(PacketHarness.STACK6).source(IpAddress.V6_UNSPECIFIED).destination("ff02::1:ff00:2")
                .build());
        Ipv6View na = sent();
        assertThat(na.destination()).isEqualTo(IpAddress.parse("ff02::1"));
        assertThat(na.buf().getInt(44) & 0x4000_0000).isZero();
        assertThat(stat(Counter.Ip6OutMcastPkts)).isEqualTo(1);
    }

    @Test
    void a_solicitation_with_a_hop_limit_other_than_255_is_dropped() {
        h.injectRaw(solicitation(PacketHarness.STACK6).hopLimit(64).build());
        assertThat(h.stack.stats().get(DropReason.IPV6_NDISC_HOP_LIMIT)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void a_solicitation_with_a_zero_length_option_is_dropped() {
        h.injectRaw(solicitation(PacketHarness.STACK6, new byte[] {1, 0, 0, 0, 0, 0, 0, 0}).build());
        assertThat(h.stack.stats().get(DropReason.IPV6_NDISC_BAD_OPTIONS)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void a_solicitation_for_another_address_is_not_answered() {
        h.injectRaw(solicitation(IpAddress.parse("2001:2::7")).build());
        assertThat(h.stack.stats().get(DropReason.IPV6_NDISC_NS_OTHERHOST)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void router_advertisements_are_counted_and_ignored() {
        h.injectRaw(Ipv6Packet.toStack().hopLimit(255).destination("ff02::1")
                .icmp(Icmp6.TYPE_ROUTER_ADVERTISEMENT, 0, 64 << 24, new byte[8]).build());
        assertThat(stat(Counter.Icmp6InRouterAdvertisements)).isEqualTo(1);
        assertThat(h.stack.stats().get(DropReason.IPV6_NDISC_IGNORED)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void the_kernels_router_solicitations_to_all_routers_never_reach_icmp() {
        h.injectRaw(Ipv6Packet.toStack().hopLimit(255).destination("ff02::2")
                .icmp(Icmp6.TYPE_ROUTER_SOLICITATION, 0, 0, new byte[0]).build());
        assertThat(h.stack.stats().get(DropReason.IPV6_MULTICAST)).isEqualTo(1);
        assertThat(stat(Counter.Icmp6InMsgs)).isZero();
    }

    @Test
    void udp_to_a_closed_port_gets_port_unreachable_quoting_the_datagram() {
        byte[] datagram = Ipv6Packet.toStack().udp(9999, new byte[20], false).build();
        h.injectRaw(datagram);
        Ipv6View unreach = sent();
        assertThat(type(unreach)).isEqualTo(Icmp6.TYPE_DEST_UNREACHABLE);
        assertThat((int) unreach.buf().getUnsignedByte(41)).isEqualTo(Icmp6.CODE_PORT_UNREACHABLE);
        byte[] quoted = new byte[datagram.length];
        unreach.buf().getBytes(48, quoted);
        assertThat(quoted).isEqualTo(datagram);
        assertThat(stat(Counter.Udp6NoPorts)).isEqualTo(1);
        assertThat(stat(Counter.Icmp6OutDestUnreachs)).isEqualTo(1);
    }

    @Test
    void udp_with_a_zero_checksum_is_invalid_over_ipv6() {
        h.injectRaw(Ipv6Packet.toStack().udp(9999, new byte[4], true).build());
        assertThat(stat(Counter.Udp6InCsumErrors)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void port_unreachables_are_limited_to_a_burst_of_six_then_one_per_interval() {
        for (int i = 0; i < 10; i++) {
            h.injectRaw(Ipv6Packet.toStack().udp(9999, new byte[4], false).build());
        }
        assertThat(stat(Counter.Icmp6OutDestUnreachs)).isEqualTo(6);
        assertThat(stat(Counter.Icmp6OutRateLimitHost)).isEqualTo(4);
        h.advance(25); // net.ipv6.icmp.ratelimit 100 ms, a quarter of it for a /64 peer
        h.injectRaw(Ipv6Packet.toStack().udp(9999, new byte[4], false).build());
        assertThat(stat(Counter.Icmp6OutDestUnreachs)).isEqualTo(7);
    }

    @Test
    void no_error_is_sent_about_an_icmpv6_error() {
        // an ICMPv6 error with an unknown destination option that asks for a Parameter Problem
        byte[] p = Ipv6Packet.toStack().options(IpProtocol.DSTOPTS, (byte) 0x9e, (byte) 1, (byte) 0)
                .icmp(Icmp6.TYPE_DEST_UNREACHABLE, 4, 0, new byte[48]).build();
        h.injectRaw(p);
        assertThat(h.stack.stats().get(DropReason.IPV6_UNKNOWN_OPTION)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    /** The MSS option of the SYN the stack sends to {@code peer} now: the path MTU less 60. */
    private int synMssTo(IpAddress peer, int port) throws java.io.IOException {
        h.discardUnread();
        h.stack.open(peer, port, 0);
        return h.expect(s -> s.has(io.tcpstack.wire.TcpView.SYN)).options().mss();
    }

    @Test
    void a_packet_too_big_lowers_the_path_mtu_to_its_destination_but_never_below_1280() throws Exception {
        h.injectRaw(packetTooBig(1400));
        assertThat(synMssTo(PacketHarness.PEER6, 1)).isEqualTo(1400 - 60);
        assertThat(synMssTo(IpAddress.parse("2001:2::9"), 1)).as("another destination").isEqualTo(1440);
        h.injectRaw(packetTooBig(1000));
        assertThat(synMssTo(PacketHarness.PEER6, 2)).isEqualTo(1280 - 60);
        assertThat(stat(Counter.Icmp6InPktTooBigs)).isEqualTo(2);
        h.advance(PathMtu.EXPIRES_MS);
        assertThat(synMssTo(PacketHarness.PEER6, 3)).as("expired after mtu_expires").isEqualTo(1440);
    }

    @Test
    void path_mtu_entries_expire_and_only_shrink() {
        io.tcpstack.time.VirtualClock clock = new io.tcpstack.time.VirtualClock(1_000_000_000L);
        PathMtu table = new PathMtu(clock);
        IpAddress peer = PacketHarness.PEER6;
        assertThat(table.reduce(peer, 1400, 1500)).isEqualTo(1400);
        assertThat(table.reduce(peer, 1450, 1500)).as("a larger MTU is no news").isEqualTo(1400);
        assertThat(table.mtu(peer, 1500)).isEqualTo(1400);
        clock.advanceNanos(PathMtu.EXPIRES_MS * 1_000_000L);
        assertThat(table.mtu(peer, 1500)).isEqualTo(1500);
    }

    /** A Packet Too Big quoting an echo reply the stack sent to the peer. */
    private static byte[] packetTooBig(int mtu) {
        byte[] quoted = Ipv6Packet.from(PacketHarness.STACK6).destination(PacketHarness.PEER6)
                .icmp(Icmp6.TYPE_ECHO_REPLY, 0, 0, new byte[1400]).build();
        return Ipv6Packet.toStack().icmp(Icmp6.TYPE_PACKET_TOO_BIG, 0, mtu, Arrays.copyOf(quoted, 1232)).build();
    }
}
