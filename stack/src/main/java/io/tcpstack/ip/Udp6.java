package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;

/**
 * UDP over IPv6 (RFC 768, RFC 8200 8.1) for a stack that has no UDP sockets: every valid datagram
 * is for a closed port and is answered as Linux's __udp6_lib_rcv answers it: length and checksum
 * first (a zero checksum is invalid over IPv6; a bad one is dropped silently), then Udp6NoPorts
 * and an ICMPv6 port unreachable (RFC 4443 3.1), which {@link Icmp6} rate-limits.
 */
final class Udp6 implements Ipv6Transport {
    private final Icmp6 icmp;
    private final StackStats stats;

    Udp6(Icmp6 icmp, StackStats stats) {
        this.icmp = icmp;
        this.stats = stats;
    }

    @Override
    public void receive(int queue, Ipv6View ip) {
        ByteBuf buf = ip.buf();
        int offset = ip.payloadOffset();
        int udpLength = Udp.datagramLength(buf, offset, ip.payloadLength());
        if (udpLength < 0) {
            stats.inc(Counter.Udp6InErrors);
            stats.drop(DropReason.UDP_BAD_LENGTH);
            return;
        }
        if (buf.getUnsignedShort(offset + 6) == 0
                || Checksum.fold(Checksum.sum(buf, offset, udpLength, ip.pseudoHeader(IpProtocol.UDP, udpLength))) != 0) {
            stats.inc(Counter.Udp6InCsumErrors);
            stats.inc(Counter.Udp6InErrors);
            stats.drop(DropReason.UDP_CSUM);
            return;
        }
        stats.inc(Counter.Udp6NoPorts);
        stats.drop(DropReason.UDP_NO_SOCKET);
        icmp.sendError(queue, ip, Icmp6.TYPE_DEST_UNREACHABLE, Icmp6.CODE_PORT_UNREACHABLE, 0, false);
    }
}
