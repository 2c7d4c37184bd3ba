package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.IcmpView;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;

/**
 * IPv4 input (RFC 791, RFC 1122 3.2.1; Linux ip_rcv_core): validates each packet, counts every
 * failure under its {@link DropReason}, and hands good packets to the transport registered for
 * their protocol. Never throws on bad input.
 *
 * <p>One {@link Ipv4View} per queue: each queue has exactly one reader thread, so the views are
 * thread-confined and nothing is allocated per packet.
 */
public final class Ipv4Input implements PacketReceiver {
    /** Linux ip_rcv_core's IP-ECN counters, by the two ECN bits (RFC 3168 5). */
    private static final Counter[] ECN_COUNTERS = {Counter.IpExtInNoECTPkts, Counter.IpExtInECT1Pkts,
        Counter.IpExtInECT0Pkts, Counter.IpExtInCEPkts};

    private final int localAddress;
    private final StackStats stats;
    private final Icmp icmp;
    private final TransportHandler[] transports = new TransportHandler[256];
    private final Ipv4View[] views;

    public Ipv4Input(int localAddress, int queueCount, StackStats stats, Icmp icmp) {
        this.localAddress = localAddress;
        this.stats = stats;
        this.icmp = icmp;
        this.views = new Ipv4View[queueCount];
        for (int i = 0; i < queueCount; i++) {
            views[i] = new Ipv4View();
        }
        transports[IpProtocol.ICMP] = icmp;
    }

    /** Registers the input of a transport protocol (TCP). */
    public void register(int protocol, TransportHandler handler) {
        transports[protocol] = handler;
    }

    @Override
    public void receive(int queue, ByteBuf packet) {
        Ipv4View ip = views[queue];
        int start = packet.readerIndex();
        int available = packet.readableBytes();
        if (available < 1 || (packet.getUnsignedByte(start) >>> 4) != 4) {
            if (available >= 1 && (packet.getUnsignedByte(start) >>> 4) == 6) {
                stats.inc(Counter.Ip6InDiscardsNoIpv6);
                stats.drop(DropReason.NOT_IPV4);
                return;
            }
            stats.inc(Counter.IpInReceives);
            drop(available < 1 ? DropReason.IP_TOO_SHORT : DropReason.IP_VERSION, Counter.IpInHdrErrors);
            return;
        }
        stats.inc(Counter.IpInReceives);
        DropReason invalid = validate(ip.wrap(packet, start), available);
        if (invalid != null) {
            drop(invalid, invalid == DropReason.IP_OTHERHOST ? Counter.IpInAddrErrors : Counter.IpInHdrErrors);
            return;
        }
        if (ip.isFragment()) {
            // No reassembly yet (RFC 791 3.2): count the request, fail it, drop.
            stats.inc(Counter.IpReasmReqds);
            drop(DropReason.IP_FRAGMENT, Counter.IpReasmFails);
            return;
        }
        TransportHandler transport = transports[ip.protocol()];
        if (transport == null) {
            // RFC 1122 3.2.2.1: a host SHOULD send protocol unreachable.
            drop(DropReason.IP_NOPROTO, Counter.IpInUnknownProtos);
            icmp.sendDestinationUnreachable(queue, ip, IcmpView.CODE_PROTOCOL_UNREACHABLE);
            return;
        }
        stats.inc(Counter.IpInDelivers);
        stats.inc(ECN_COUNTERS[ip.tos() & 3]);
        transport.receive(queue, ip);
    }

    /** The checks of Linux ip_rcv_core and ip_rcv_finish, in that order; null if the packet is good. */
    private DropReason validate(Ipv4View ip, int available) {
        if (available < Ipv4View.MIN_HEADER_LENGTH) {
            return DropReason.IP_TOO_SHORT;
        }
        int headerLength = ip.headerLength();
        if (headerLength < Ipv4View.MIN_HEADER_LENGTH || headerLength > available) {
            return DropReason.IP_IHL;
        }
        if (!ip.checksumValid()) {
            return DropReason.IP_CSUM;
        }
        int totalLength = ip.totalLength();
        if (totalLength < headerLength || totalLength > available) {
            return DropReason.IP_TOTAL_LENGTH;
        }
        if (ip.ttl() == 0) {
            return DropReason.IP_TTL;
        }
        int source = ip.source();
        if (source == 0 || source == -1 || (source >>> 28) == 0xe || (source >>> 24) == 127) {
            return DropReason.IP_INVALID_SOURCE;
        }
        if (ip.destination() != localAddress) {
            return DropReason.IP_OTHERHOST;
        }
        return null;
    }

    private void drop(DropReason reason, Counter mib) {
        stats.drop(reason);
        stats.inc(mib);
    }
}
