package io.tcpstack.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.TcpView;

/**
 * Helpers for fuzz tests over raw IPv4 packets: a fuzzer rarely guesses a checksum, so inputs
 * may ask for theirs to be made right (and so reach past the checksum checks); and what the stack
 * sends back must always be well-formed.
 */
public final class FuzzPackets {
    private FuzzPackets() {
    }

    /** Recomputes the IPv4 header checksum when the header length fits in the packet. */
    public static void fixIpv4Checksum(byte[] p) {
        int ihl = headerLength(p);
        if (ihl < Ipv4View.MIN_HEADER_LENGTH || ihl > p.length) {
            return;
        }
        ByteBuf buf = Unpooled.wrappedBuffer(p);
        buf.setShort(10, 0);
        buf.setShort(10, Checksum.compute(buf, 0, ihl));
    }

    /**
     * Recomputes the TCP or ICMP checksum over the bytes the IPv4 total length covers, when the
     * header and total lengths fit in the packet.
     */
    public static void fixTransportChecksum(byte[] p) {
        int ihl = headerLength(p);
        if (ihl < Ipv4View.MIN_HEADER_LENGTH || p.length < Ipv4View.MIN_HEADER_LENGTH) {
            return;
        }
        ByteBuf buf = Unpooled.wrappedBuffer(p);
        int total = buf.getUnsignedShort(2);
        if (total > p.length || total < ihl) {
            return;
        }
        int length = total - ihl;
        int protocol = p[9] & 0xff;
        if (protocol == IpProtocol.TCP && length >= TcpView.MIN_HEADER_LENGTH) {
            TcpView.fillChecksum(buf, ihl, length, buf.getInt(12), buf.getInt(16));
        } else if (protocol == IpProtocol.ICMP && length >= 4) {
            buf.setShort(ihl + 2, 0);
            buf.setShort(ihl + 2, Checksum.compute(buf, ihl, length));
        }
    }

    /**
     * An IPv4 packet carrying a TCP segment with these fields, {@code options} as given (padded
     * with zeros, end of options, to a multiple of 4 and cut at 40 bytes), and good checksums.
     */
    public static byte[] tcp(int src, int dst, int srcPort, int dstPort, int seq, int ack, int flags, int window,
            byte[] options, byte[] payload) {
        int optionsLength = Math.min((options.length + 3) & ~3, 40);
        int tcpLength = TcpView.MIN_HEADER_LENGTH + optionsLength + payload.length;
        byte[] packet = new byte[Ipv4View.MIN_HEADER_LENGTH + tcpLength];
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        Ipv4View.writeHeader(buf, 0, packet.length, 0, true, 64, IpProtocol.TCP, src, dst);
        int t = Ipv4View.MIN_HEADER_LENGTH;
        TcpView.writeHeader(buf, t, srcPort, dstPort, seq, ack, optionsLength, flags, window);
        buf.setBytes(t + TcpView.MIN_HEADER_LENGTH, options, 0, Math.min(options.length, optionsLength));
        buf.setBytes(t + TcpView.MIN_HEADER_LENGTH + optionsLength, payload);
        TcpView.fillChecksum(buf, t, tcpLength, src, dst);
        return packet;
    }

    private static int headerLength(byte[] p) {
        return p.length == 0 ? 0 : (p[0] & 0x0f) * 4;
    }

    /**
     * A packet the stack sent: an IPv4 header of 20 bytes with a good checksum and the right
     * total length, from {@code from}, and a TCP or ICMP message whose checksum verifies.
     */
    public static void assertWellFormed(byte[] p, int from) {
        assertThat(p.length).as("packet length").isGreaterThanOrEqualTo(Ipv4View.MIN_HEADER_LENGTH);
        ByteBuf buf = Unpooled.wrappedBuffer(p);
        Ipv4View ip = new Ipv4View().wrap(buf, 0);
        assertThat(ip.version()).isEqualTo(4);
        assertThat(ip.headerLength()).isEqualTo(Ipv4View.MIN_HEADER_LENGTH);
        assertThat(ip.totalLength()).as("IPv4 total length").isEqualTo(p.length);
        assertThat(ip.checksumValid()).as("IPv4 header checksum").isTrue();
        assertThat(ip.source()).isEqualTo(from);
        int length = ip.payloadLength();
        if (ip.protocol() == IpProtocol.TCP) {
            assertThat(length).isGreaterThanOrEqualTo(TcpView.MIN_HEADER_LENGTH);
            TcpView tcp = new TcpView().wrap(buf, ip.payloadOffset(), length);
            assertThat(tcp.dataOffset()).isBetween(TcpView.MIN_HEADER_LENGTH, length);
            assertThat(tcp.checksumValid(ip.source(), ip.destination())).as("TCP checksum").isTrue();
        } else {
            assertThat(ip.protocol()).as("TCP or ICMP").isEqualTo(IpProtocol.ICMP);
            assertThat(length).isGreaterThanOrEqualTo(8);
            assertThat(Checksum.compute(buf, ip.payloadOffset(), length)).as("ICMP checksum").isZero();
        }
    }
}
