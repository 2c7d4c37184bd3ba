package io.tcpstack.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

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
 * Every IPv6 input rule (RFC 8200, Linux ip6_rcv_core and exthdrs.c, reassembly.c): a bad
 * packet is dropped under its reason and Linux's counter, or answered with the ICMPv6 error
 * Linux sends, and nothing is thrown. Echo requests are the probe that a packet got through.
 */
class Ipv6InputTest {
    private static final byte[] DATA = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final PacketHarness h = new PacketHarness(new TcpSettings(), 1, InboundQueues.Mode.INLINE, true);

    @AfterEach
    void close() {
        h.close();
    }

    private static Ipv6Packet echo() {
        return Ipv6Packet.toStack().echoRequest(0x1234, 7, DATA);
    }

    private long stat(Counter c) {
        return h.stack.stats().get(c);
    }

    private long stat(DropReason r) {
        return h.stack.stats().get(r);
    }

    private void inject(byte[] packet) {
        assertThatCode(() -> h.injectRaw(packet)).doesNotThrowAnyException();
    }

    /** Dropped under {@code reason} and {@code mib}, nothing sent back. */
    private void assertDropped(byte[] packet, DropReason reason, Counter mib) {
        inject(packet);
        assertThat(stat(reason)).as(reason.name()).isEqualTo(1);
        if (mib != null) {
            assertThat(stat(mib)).as(mib.name()).isEqualTo(1);
        }
        assertThat(h.pendingPackets()).as("nothing answered").isZero();
        assertThat(stat(Counter.Icmp6InEchos)).isZero();
    }

    /** The next packet the stack sent, which must be ICMPv6 of {@code type} and {@code code}, to the peer. */
    private ByteBuf icmpSent(int type, int code) {
        CaptureLink.Sent s = h.pollOther();
        assertThat(s).as("an ICMPv6 message was sent").isNotNull();
        ByteBuf p = Unpooled.wrappedBuffer(s.packet());
        Ipv6View ip = new Ipv6View().wrap(p, 0);
        assertThat(ip.nextHeader()).isEqualTo(IpProtocol.ICMPV6);
        assertThat(ip.destination()).isEqualTo(PacketHarness.PEER6);
        assertThat(ip.source()).isEqualTo(PacketHarness.STACK6);
        int length = ip.declaredPayloadLength();
        assertThat(Checksum.fold(Checksum.sum(p, 40, length, ip.pseudoHeader(IpProtocol.ICMPV6, length))))
                .as("ICMPv6 checksum").isZero();
        assertThat((int) p.getUnsignedByte(40)).as("type").isEqualTo(type);
        assertThat((int) p.getUnsignedByte(41)).as("code").isEqualTo(code);
        return p;
    }

    /** A Parameter Problem of {@code code} pointing at {@code pointer}, quoting the packet. */
    private void assertParameterProblem(byte[] packet, int code, int pointer) {
        inject(packet);
        ByteBuf p = icmpSent(Icmp6.TYPE_PARAMETER_PROBLEM, code);
        assertThat(p.getInt(44)).as("pointer").isEqualTo(pointer);
        byte[] quoted = new byte[Math.min(packet.length, p.readableBytes() - 48)];
        p.getBytes(48, quoted);
        assertThat(quoted).isEqualTo(Arrays.copyOf(packet, quoted.length));
        assertThat(stat(Counter.Icmp6OutParmProblems)).isEqualTo(1);
        assertThat(stat(Counter.Icmp6InEchos)).isZero();
    }

    private void assertEchoed() {
        assertThat(stat(Counter.Icmp6InEchos)).isEqualTo(1);
        ByteBuf reply = icmpSent(Icmp6.TYPE_ECHO_REPLY, 0);
        assertThat(reply.getInt(44)).isEqualTo(0x1234 << 16 | 7);
    }

    // ---- the fixed header (ip6_rcv_core)

    @Test
    void a_valid_echo_request_gets_through() {
        inject(echo().build());
        assertEchoed();
        assertThat(stat(Counter.Ip6InReceives)).isEqualTo(1);
        assertThat(stat(Counter.Ip6InDelivers)).isEqualTo(1);
        assertThat(stat(Counter.Ip6InNoECTPkts)).isEqualTo(1);
    }

    @Test
    void shorter_than_the_fixed_header_is_a_header_error() {
        assertDropped(Arrays.copyOf(echo().build(), 39), DropReason.IPV6_HDR, Counter.Ip6InHdrErrors);
    }

    @Test
    void a_payload_length_beyond_the_bytes_received_is_a_truncated_packet() {
        byte[] p = echo().payloadLength(DATA.length + 8 + 1).build();
        assertDropped(p, DropReason.IPV6_PAYLOAD_LENGTH, Counter.Ip6InTruncatedPkts);
    }

    @Test
    void bytes_past_the_payload_length_are_ignored() {
        inject(echo().trailing(12).build());
        assertEchoed();
    }

    @Test
    void a_payload_length_shorter_than_the_message_cuts_it_and_its_checksum_fails() {
        inject(echo().payloadLength(12).build());
        assertThat(stat(Counter.Icmp6InCsumErrors)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void a_multicast_source_is_a_header_error() {
        assertDropped(echo().source(IpAddress.parse("ff02::1")).build(), DropReason.IPV6_HDR, Counter.Ip6InHdrErrors);
    }

    @Test
    void a_loopback_destination_is_a_header_error() {
        assertDropped(echo().destination("::1").build(), DropReason.IPV6_HDR, Counter.Ip6InHdrErrors);
    }

    @Test
    void a_packet_for_another_host_is_an_address_error() {
        assertDropped(echo().destination("2001:2::99").build(), DropReason.IP_OTHERHOST, Counter.Ip6InAddrErrors);
    }

    @Test
    void an_ipv4_mapped_source_is_refused_so_it_cannot_pose_as_an_ipv4_peer() {
        assertDropped(echo().source(IpAddress.parse("::ffff:198.18.0.1")).build(), DropReason.IPV6_V4MAPPED,
                Counter.Ip6InHdrErrors);
    }

    @Test
    void a_multicast_group_we_are_not_in_is_dropped() {
        assertDropped(echo().destination("ff02::16").build(), DropReason.IPV6_MULTICAST, Counter.Ip6InMcastPkts);
    }

    @Test
    void all_nodes_is_answered_from_our_address() {
        inject(echo().destination("ff02::1").build());
        assertEchoed();
    }

    @Test
    void with_ipv6_switched_off_every_packet_is_a_discard() {
        h.settings.ipv6 = false;
        assertDropped(echo().build(), DropReason.IPV6_DISABLED, Counter.Ip6InDiscards);
    }

    // ---- extension headers (exthdrs.c)

    @Test
    void an_unknown_next_header_gets_a_parameter_problem_pointing_at_it() {
        byte[] p = Ipv6Packet.toStack().upper(253, new byte[8], -1).build();
        assertParameterProblem(p, Icmp6.CODE_UNKNOWN_NEXT_HEADER, 6);
        assertThat(stat(Counter.Ip6InUnknownProtos)).isEqualTo(1);
    }

    @Test
    void an_unknown_next_header_after_an_extension_header_points_at_that_headers_next_header_field() {
        byte[] p = Ipv6Packet.toStack().options(IpProtocol.DSTOPTS).upper(253, new byte[8], -1).build();
        assertParameterProblem(p, Icmp6.CODE_UNKNOWN_NEXT_HEADER, 40);
    }

    @Test
    void hop_by_hop_options_anywhere_but_first_are_an_unknown_next_header() {
        byte[] p = echo().options(IpProtocol.DSTOPTS).options(IpProtocol.HOPOPTS).build();
        assertParameterProblem(p, Icmp6.CODE_UNKNOWN_NEXT_HEADER, 40);
    }

    @Test
    void hop_by_hop_and_destination_options_with_padding_are_passed_over() {
        inject(echo().options(IpProtocol.HOPOPTS, (byte) 5, (byte) 2, (byte) 0, (byte) 0)
                .options(IpProtocol.DSTOPTS).build());
        assertEchoed();
    }

    @Test
    void an_extension_header_longer_than_the_packet_is_a_header_error() {
        byte[] whole = new byte[8];
        whole[1] = 4; // 40 bytes said, 8 there
        assertDropped(Ipv6Packet.toStack().rawExtension(IpProtocol.DSTOPTS, whole).build(), DropReason.IPV6_EXTHDR,
                Counter.Ip6InHdrErrors);
    }

    @Test
    void a_chain_that_ends_before_its_next_header_is_a_header_error() {
        byte[] p = Ipv6Packet.toStack().options(IpProtocol.DSTOPTS).options(IpProtocol.DSTOPTS)
                .upper(IpProtocol.ROUTING, new byte[0], -1).build();
        assertDropped(p, DropReason.IPV6_EXTHDR, Counter.Ip6InHdrErrors);
    }

    @Test
    void a_long_chain_of_extension_headers_is_walked_to_its_end_without_looping() {
        Ipv6Packet p = echo();
        for (int i = 0; i < 100; i++) {
            p.options(IpProtocol.DSTOPTS);
        }
        inject(p.build());
        assertEchoed();
    }

    @Test
    void a_second_fragment_header_is_a_loop_linux_refuses_with_a_parameter_problem() {
        byte[] p = echo().fragment(0, false, 1).fragment(0, false, 2).build();
        assertParameterProblem(p, Icmp6.CODE_HEADER_FIELD, 48);
        assertThat(stat(DropReason.IPV6_FRAG)).isEqualTo(1);
    }

    @Test
    void an_atomic_fragment_is_a_whole_datagram() {
        inject(echo().fragment(0, false, 1).build());
        assertEchoed();
        assertThat(stat(Counter.Ip6ReasmReqds)).isEqualTo(1);
        assertThat(stat(Counter.Ip6ReasmOKs)).isEqualTo(1);
    }

    @Test
    void an_unknown_option_of_type_00_is_skipped() {
        inject(echo().options(IpProtocol.DSTOPTS, (byte) 0x1e, (byte) 1, (byte) 0).build());
        assertEchoed();
    }

    @Test
    void an_unknown_option_of_type_01_drops_the_packet_silently() {
        assertDropped(echo().options(IpProtocol.DSTOPTS, (byte) 0x5e, (byte) 1, (byte) 0).build(),
                DropReason.IPV6_UNKNOWN_OPTION, Counter.Ip6InHdrErrors);
    }

    @Test
    void an_unknown_option_of_type_10_gets_a_parameter_problem_even_to_a_multicast_destination() {
        byte[] p = echo().destination("ff02::1").options(IpProtocol.DSTOPTS, (byte) 0x9e, (byte) 1, (byte) 0).build();
        assertParameterProblem(p, Icmp6.CODE_UNKNOWN_OPTION, 42);
    }

    @Test
    void an_unknown_option_of_type_11_gets_a_parameter_problem_unless_the_destination_was_multicast() {
        byte[] p = echo().options(IpProtocol.DSTOPTS, (byte) 0xde, (byte) 1, (byte) 0).build();
        assertParameterProblem(p, Icmp6.CODE_UNKNOWN_OPTION, 42);
        h.discardUnread();
        inject(echo().destination("ff02::1").options(IpProtocol.DSTOPTS, (byte) 0xde, (byte) 1, (byte) 0).build());
        assertThat(h.pendingPackets()).as("no error to a multicast destination").isZero();
        assertThat(stat(DropReason.IPV6_UNKNOWN_OPTION)).isEqualTo(2);
    }

    @Test
    void more_than_eight_options_in_a_header_are_a_header_error() {
        byte[] nine = new byte[9 * 2];
        for (int i = 0; i < 9; i++) {
            nine[2 * i] = 0x1e; // skippable, empty
        }
        assertDropped(echo().options(IpProtocol.DSTOPTS, nine).build(), DropReason.IPV6_EXTHDR, Counter.Ip6InHdrErrors);
    }

    @Test
    void padding_longer_than_seven_bytes_is_a_header_error() {
        byte[] padN = {1, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertDropped(echo().options(IpProtocol.DSTOPTS, padN).build(), DropReason.IPV6_EXTHDR, Counter.Ip6InHdrErrors);
    }

    @Test
    void padn_with_a_non_zero_byte_is_a_header_error() {
        byte[] whole = {0, 0, 1, 4, 0, 0, 7, 0};
        assertDropped(echo().rawExtension(IpProtocol.DSTOPTS, whole).build(), DropReason.IPV6_EXTHDR,
                Counter.Ip6InHdrErrors);
    }

    @Test
    void an_option_running_past_its_header_is_a_header_error() {
        byte[] whole = {0, 0, 0x1e, 9, 0, 0, 0, 0};
        assertDropped(echo().rawExtension(IpProtocol.DSTOPTS, whole).build(), DropReason.IPV6_EXTHDR,
                Counter.Ip6InHdrErrors);
    }

    @Test
    void a_jumbo_payload_option_for_a_small_packet_gets_a_parameter_problem() {
        byte[] jumbo = {(byte) 0xc2, 4, 0, 0, 0x10, 0};
        byte[] p = echo().options(IpProtocol.HOPOPTS, jumbo).build();
        assertParameterProblem(p, Icmp6.CODE_HEADER_FIELD, 44);
    }

    @Test
    void a_routing_header_with_no_segments_left_is_passed_over() {
        inject(echo().extension(IpProtocol.ROUTING, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0).build());
        assertEchoed();
    }

    @Test
    void a_routing_header_with_segments_left_gets_a_parameter_problem_at_its_type() {
        byte[] p = echo().extension(IpProtocol.ROUTING, (byte) 0, (byte) 1, (byte) 0, (byte) 0, (byte) 0, (byte) 0)
                .build();
        assertParameterProblem(p, Icmp6.CODE_HEADER_FIELD, 42);
    }

    @Test
    void a_segment_routing_header_is_dropped_as_segment_routing_is_off() {
        byte[] p = echo().extension(IpProtocol.ROUTING, (byte) 4, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0)
                .build();
        assertDropped(p, DropReason.IPV6_RTHDR, null);
    }

    @Test
    void no_next_header_ends_the_packet() {
        inject(Ipv6Packet.toStack().options(IpProtocol.DSTOPTS).build());
        assertThat(stat(DropReason.IPV6_NO_NEXT_HEADER)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }

    // ---- fragments (reassembly.c)

    /**
     * {@code n} bytes that start like an echo request: Linux (is_ineligible) reads the first byte
     * of a fragment's data as an ICMPv6 type, and answers no error-looking message with an error.
     */
    private static byte[] echoBytes(int n) {
        byte[] b = new byte[n];
        b[0] = (byte) Icmp6.TYPE_ECHO_REQUEST;
        return b;
    }

    /** An echo request of {@code n} data bytes cut at {@code at} (a multiple of 8) into two fragments. */
    private byte[][] fragmentedEcho(int n, int at, int id) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) i;
        }
        byte[] whole = echo().echoRequest(0x1234, 7, data).build();
        byte[] upper = Arrays.copyOfRange(whole, 40, whole.length);
        byte[] first = Ipv6Packet.toStack().fragment(0, true, id)
                .upper(IpProtocol.ICMPV6, Arrays.copyOf(upper, at), -1).build();
        byte[] second = Ipv6Packet.toStack().fragment(at, false, id)
                .upper(IpProtocol.ICMPV6, Arrays.copyOfRange(upper, at, upper.length), -1).build();
        return new byte[][] {first, second};
    }

    @Test
    void two_fragments_in_either_order_are_reassembled() {
        byte[][] f = fragmentedEcho(1000, 512, 77);
        inject(f[1]);
        assertThat(h.pendingPackets()).isZero();
        inject(f[0]);
        assertThat(stat(Counter.Ip6ReasmOKs)).isEqualTo(1);
        assertThat(stat(Counter.Ip6ReasmReqds)).isEqualTo(2);
        ByteBuf reply = icmpSent(Icmp6.TYPE_ECHO_REPLY, 0);
        assertThat(reply.readableBytes()).isEqualTo(40 + 8 + 1000);
        assertThat(reply.getByte(48 + 999)).isEqualTo((byte) 999);
    }

    @Test
    void a_reply_larger_than_the_link_mtu_is_sent_in_fragments() {
        byte[][] f = fragmentedEcho(2000, 1024, 78);
        inject(f[0]);
        inject(f[1]);
        CaptureLink.Sent a = h.pollOther();
        CaptureLink.Sent b = h.pollOther();
        assertThat(a.packet().length).isLessThanOrEqualTo(1500);
        assertThat(a.packet()[6]).isEqualTo((byte) IpProtocol.FRAGMENT);
        assertThat(b.packet()[6]).isEqualTo((byte) IpProtocol.FRAGMENT);
        assertThat(a.packet().length - 48 + b.packet().length - 48).isEqualTo(8 + 2000);
        assertThat(stat(Counter.Ip6FragOKs)).isEqualTo(1);
        assertThat(stat(Counter.Ip6FragCreates)).isEqualTo(2);
    }

    @Test
    void an_exact_duplicate_fragment_is_ignored() {
        byte[][] f = fragmentedEcho(1000, 512, 79);
        inject(f[0]);
        inject(f[0]);
        assertThat(stat(DropReason.IPV6_FRAG_DUP)).isEqualTo(1);
        inject(f[1]);
        assertThat(stat(Counter.Ip6ReasmOKs)).isEqualTo(1);
    }

    @Test
    void overlapping_fragments_discard_the_whole_datagram() {
        byte[][] f = fragmentedEcho(1000, 512, 80);
        byte[] overlap = Ipv6Packet.toStack().fragment(504, true, 80).upper(IpProtocol.ICMPV6, new byte[16], -1).build();
        inject(f[0]);
        inject(overlap);
        assertThat(stat(Counter.Ip6ReasmFails)).isEqualTo(1);
        inject(f[1]);
        assertThat(stat(Counter.Ip6ReasmOKs)).isZero();
        assertThat(h.pendingPackets()).isZero();
    }

    @Test
    void a_fragment_not_a_multiple_of_8_unless_last_gets_a_parameter_problem_at_the_payload_length() {
        byte[] p = Ipv6Packet.toStack().fragment(0, true, 81).upper(IpProtocol.ICMPV6, echoBytes(13), -1).build();
        assertParameterProblem(p, Icmp6.CODE_HEADER_FIELD, 4);
    }

    @Test
    void a_fragment_ending_past_65535_gets_a_parameter_problem_at_its_offset() {
        byte[] p = Ipv6Packet.toStack().fragment(65528, false, 82).upper(IpProtocol.ICMPV6, echoBytes(16), -1).build();
        assertParameterProblem(p, Icmp6.CODE_HEADER_FIELD, 42);
    }

    @Test
    void a_first_fragment_without_the_whole_header_chain_gets_parameter_problem_code_3() {
        byte[] p = Ipv6Packet.toStack().fragment(0, true, 83).upper(IpProtocol.TCP, new byte[8], -1).build();
        assertParameterProblem(p, Icmp6.CODE_HEADER_CHAIN_INCOMPLETE, 0);
    }

    @Test
    void an_incomplete_datagram_times_out_with_a_time_exceeded_after_60_seconds() {
        byte[][] f = fragmentedEcho(1000, 512, 84);
        inject(f[0]);
        h.advance(59_999);
        assertThat(h.pendingPackets()).isZero();
        h.advance(1);
        assertThat(stat(Counter.Ip6ReasmTimeout)).isEqualTo(1);
        assertThat(stat(Counter.Ip6ReasmFails)).isEqualTo(1);
        ByteBuf p = icmpSent(Icmp6.TYPE_TIME_EXCEEDED, Icmp6.CODE_FRAGMENT_REASSEMBLY);
        assertThat(p.getByte(48 + 40)).as("quotes the first fragment").isEqualTo((byte) IpProtocol.ICMPV6);
    }

    @Test
    void without_the_first_fragment_the_timeout_sends_nothing() {
        inject(fragmentedEcho(1000, 512, 85)[1]);
        h.advance(60_000);
        assertThat(stat(Counter.Ip6ReasmTimeout)).isEqualTo(1);
        assertThat(h.pendingPackets()).isZero();
    }
}
