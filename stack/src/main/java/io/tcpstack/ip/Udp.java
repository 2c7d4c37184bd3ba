package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IcmpView;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;

/**
 * UDP input (RFC 768) for a stack that has no UDP sockets: every valid datagram is for a closed
 * port, and is answered as Linux's __udp4_lib_rcv answers it when no socket matches: checksum
 * checked first (a bad one is dropped silently), then UdpNoPorts and ICMP port unreachable
 * (RFC 1122 4.1.3.1), which {@link Icmp} rate-limits like icmp_ratelimit.
 */
public final class Udp implements TransportHandler {
    private static final int HEADER_LENGTH = 8;

    private final Icmp icmp;
    private final StackStats stats;

    public Udp(Icmp icmp, StackStats stats) {
        this.icmp = icmp;
        this.stats = stats;
    }

    @Override
    public void receive(int queue, Ipv4View ip) {
        ByteBuf buf = ip.buf();
        int offset = ip.payloadOffset();
        int length = ip.payloadLength();
        int udpLength = length >= HEADER_LENGTH ? buf.getUnsignedShort(offset + 4) : 0;
        if (length < HEADER_LENGTH || udpLength < HEADER_LENGTH || udpLength > length) {
            stats.inc(Counter.UdpInErrors);
            stats.drop(DropReason.UDP_BAD_LENGTH);
            return;
        }
        // a zero checksum means none was computed (RFC 768)
        if (buf.getUnsignedShort(offset + 6) != 0 && Checksum.fold(Checksum.sum(buf, offset, udpLength,
                Checksum.pseudoHeader(ip.source(), ip.destination(), IpProtocol.UDP, udpLength))) != 0) {
            stats.inc(Counter.UdpInCsumErrors);
            stats.inc(Counter.UdpInErrors);
            stats.drop(DropReason.UDP_CSUM);
            return;
        }
        stats.inc(Counter.UdpNoPorts);
        stats.drop(DropReason.UDP_NO_SOCKET);
        icmp.sendDestinationUnreachable(queue, ip, IcmpView.CODE_PORT_UNREACHABLE);
    }
}
