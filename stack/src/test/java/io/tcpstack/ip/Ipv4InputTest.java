package io.tcpstack.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.testing.CaptureLink;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IcmpView;
import io.tcpstack.wire.Ipv4View;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every IPv4 input rule: a bad packet is dropped under its reason, counted, and nothing is thrown. */
class Ipv4InputTest {
    private final PacketHarness h = new PacketHarness();

    @AfterEach
    void close() {
        h.close();
    }

    /** A valid ICMP echo request from the peer to the stack, {@code dataLength} bytes of data. */
    static byte[] echoRequest(int dataLength) {
        int total = 20 + 8 + dataLength;
        ByteBuf b = Unpooled.buffer(total);
        b.writerIndex(total);
        for (int i = 0; i < dataLength; i++) {
            b.setByte(28 + i, i);
        }
        IcmpView icmp = new IcmpView().wrap(b, 20);
        icmp.setType(IcmpView.TYPE_ECHO_REQUEST);
        icmp.setCode(0);
        icmp.setRestOfHeader((0x1234 << 16) | 7);
        icmp.fillChecksum(8 + dataLength);
        Ipv4View.writeHeader(b, 0, total, 42, false, 64, 1, PacketHarness.PEER, PacketHarness.STACK);
        byte[] p = new byte[total];
        b.getBytes(0, p);
        return p;
    }

    private static void fixChecksum(byte[] p) {
        ByteBuf b = Unpooled.wrappedBuffer(p);
        b.setShort(10, 0);
        b.setShort(10, Checksum.compute(b, 0, (p[0] & 0xf) * 4));
    }

    private void assertDropped(byte[] packet, DropReason reason) {
        assertThatCode(() -> h.injectRaw(packet)).doesNotThrowAnyException();
        assertThat(h.stack.stats().get(reason)).as(reason.name()).isEqualTo(1);
        assertThat(h.pendingPackets()).as("nothing answered").isZero();
        assertThat(h.stack.stats().get(Counter.IcmpInEchos)).isZero();
    }

    @Test
    void echo_request_gets_an_echo_reply_with_the_same_id_seq_and_data() {
        h.injectRaw(echoRequest(56));
        CaptureLink.Sent sent = h.pollOther();
        assertThat(sent).isNotNull();
        ByteBuf reply = Unpooled.wrappedBuffer(sent.packet());
        Ipv4View ip = new Ipv4View().wrap(reply, 0);
        assertThat(ip.checksumValid()).isTrue();
        assertThat(ip.source()).isEqualTo(PacketHarness.STACK);
        assertThat(ip.destination()).isEqualTo(PacketHarness.PEER);
        assertThat(ip.totalLength()).isEqualTo(20 + 8 + 56);
        IcmpView icmp = new IcmpView().wrap(reply, 20);
        assertThat(icmp.type()).isEqualTo(IcmpView.TYPE_ECHO_REPLY);
        assertThat(icmp.identifier()).isEqualTo(0x1234);
        assertThat(icmp.sequence()).isEqualTo(7);
        assertThat(Checksum.compute(reply, 20, 8 + 56)).isZero();
        for (int i = 0; i < 56; i++) {
            assertThat(reply.getByte(28 + i)).isEqualTo((byte) i);
        }
        assertThat(h.stack.stats().get(Counter.IcmpOutEchoReps)).isEqualTo(1);
    }

    @Test
    void too_short_for_a_header() {
        assertDropped(new byte[] {0x45, 0, 0, 10, 0, 0, 0, 0, 64, 1}, DropReason.IP_TOO_SHORT);
    }

    @Test
    void wrong_version() {
        byte[] p = echoRequest(8);
        p[0] = 0x55;
        fixChecksum(p);
        assertDropped(p, DropReason.IP_VERSION);
    }

    @Test
    void ihl_below_five() {
        byte[] p = echoRequest(8);
        p[0] = 0x44;
        assertDropped(p, DropReason.IP_IHL);
    }

    @Test
    void ihl_past_the_packet() {
        byte[] p = java.util.Arrays.copyOf(echoRequest(8), 24);
        p[0] = 0x47; // 28-byte header in 24 bytes
        assertDropped(p, DropReason.IP_IHL);
    }

    @Test
    void total_length_beyond_the_bytes_received() {
        byte[] p = echoRequest(8);
        p[2] = 0x05;
        p[3] = (byte) 0xdc; // claims 1500
        fixChecksum(p);
        assertDropped(p, DropReason.IP_TOTAL_LENGTH);
    }

    @Test
    void total_length_below_the_header() {
        byte[] p = echoRequest(8);
        p[2] = 0;
        p[3] = 12;
        fixChecksum(p);
        assertDropped(p, DropReason.IP_TOTAL_LENGTH);
    }

    @Test
    void header_checksum() {
        byte[] p = echoRequest(8);
        p[8] = 63; // TTL changed, checksum not
        assertDropped(p, DropReason.IP_CSUM);
        assertThat(h.stack.stats().get(Counter.IpInHdrErrors)).isEqualTo(1);
    }

    @Test
    void fragments_are_counted_and_dropped() {
        byte[] p = echoRequest(8);
        p[6] = 0x20; // more fragments
        fixChecksum(p);
        assertDropped(p, DropReason.IP_FRAGMENT);
        byte[] q = echoRequest(8);
        q[7] = 0x10; // offset 16 bytes
        fixChecksum(q);
        h.injectRaw(q);
        assertThat(h.stack.stats().get(DropReason.IP_FRAGMENT)).isEqualTo(2);
        assertThat(h.stack.stats().get(Counter.IpReasmReqds)).isEqualTo(2);
    }

    @Test
    void wrong_destination() {
        byte[] p = echoRequest(8);
        p[19] = 99;
        fixChecksum(p);
        assertDropped(p, DropReason.IP_OTHERHOST);
        assertThat(h.stack.stats().get(Counter.IpInAddrErrors)).isEqualTo(1);
    }

    @Test
    void ttl_zero() {
        byte[] p = echoRequest(8);
        p[8] = 0;
        fixChecksum(p);
        assertDropped(p, DropReason.IP_TTL);
    }

    @Test
    void martian_source() {
        byte[] p = echoRequest(8);
        p[12] = (byte) 224; // multicast source
        fixChecksum(p);
        assertDropped(p, DropReason.IP_INVALID_SOURCE);
    }

    @Test
    void unknown_protocol_gets_icmp_protocol_unreachable() {
        byte[] p = echoRequest(8);
        p[9] = (byte) 132; // SCTP: no handler
        fixChecksum(p);
        h.injectRaw(p);
        assertThat(h.stack.stats().get(DropReason.IP_NOPROTO)).isEqualTo(1);
        assertThat(h.stack.stats().get(Counter.IpInUnknownProtos)).isEqualTo(1);
        ByteBuf reply = Unpooled.wrappedBuffer(h.pollOther().packet());
        IcmpView icmp = new IcmpView().wrap(reply, 20);
        assertThat(icmp.type()).isEqualTo(IcmpView.TYPE_DEST_UNREACHABLE);
        assertThat(icmp.code()).isEqualTo(IcmpView.CODE_PROTOCOL_UNREACHABLE);
        assertThat(Checksum.compute(reply, 20, reply.readableBytes() - 20)).isZero();
        // it quotes the whole original datagram (36 bytes), as Linux icmp_send does up to 576 bytes in all
        assertThat(reply.readableBytes()).isEqualTo(20 + 8 + p.length);
        assertThat(reply.getInt(28 + 12)).isEqualTo(PacketHarness.PEER);
    }

    @Test
    void icmp_with_bad_checksum() {
        byte[] p = echoRequest(8);
        p[30] ^= 1;
        assertDropped(p, DropReason.ICMP_CSUM);
    }

    @Test
    void ipv6_from_the_link_is_counted_and_dropped() {
        byte[] p = new byte[40];
        p[0] = 0x60;
        assertDropped(p, DropReason.NOT_IPV4);
        assertThat(h.stack.stats().get(Counter.Ip6InDiscardsNoIpv6)).isEqualTo(1);
    }

    @Test
    void trailing_bytes_past_total_length_are_ignored() {
        byte[] p = java.util.Arrays.copyOf(echoRequest(8), 20 + 8 + 8 + 6);
        h.injectRaw(p);
        assertThat(h.stack.stats().get(Counter.IcmpOutEchoReps)).isEqualTo(1);
    }
}
