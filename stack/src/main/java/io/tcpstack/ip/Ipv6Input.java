package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.time.TimerQueue;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;

/**
 * IPv6 input (RFC 8200; Linux ip6_rcv_core, ip6_input_finish and the extension-header handlers
 * of net/ipv6/exthdrs.c and reassembly.c): validates the fixed header, walks the extension
 * headers (hop-by-hop only first; destination options; routing; fragments, reassembled by {@link
 * Ipv6Reassembly}), acting on options and routing headers through {@link Ipv6ExtensionHeaders}
 * (unknown options as their type's two high bits say), and hands the upper-layer payload to the
 * protocol registered for it. Every failure is counted under Linux's Ip6* name and a {@link
 * DropReason}, or answered with the ICMPv6 error Linux sends; nothing throws on bad input.
 *
 * <p>One {@link Ipv6View} per queue: each queue has exactly one reader thread, so nothing is
 * allocated per packet (reassembly allocates, per datagram).
 */
public final class Ipv6Input implements PacketReceiver {
    private static final Counter[] ECN_COUNTERS = {Counter.Ip6InNoECTPkts, Counter.Ip6InECT1Pkts,
        Counter.Ip6InECT0Pkts, Counter.Ip6InCEPkts};

    private final IpAddress local;
    private final StackStats stats;
    private final TcpSettings settings;
    private final Icmp6 icmp;
    private final Ipv6Reassembly reassembly;
    private final Ipv6ExtensionHeaders extensionHeaders;
    private final Ipv6Transport[] transports = new Ipv6Transport[256];
    private final Ipv6View[] views;

    /**
     * @param local our IPv6 address
     * @param settings read per packet: {@code ipv6} switches the family off
     * @param rateLimit the limits on ICMP errors, shared with IPv4
     */
    public Ipv6Input(IpAddress local, int queueCount, IpOutput output, StackStats stats, TcpSettings settings,
            IcmpRateLimit rateLimit, Clock clock, TimerQueue wheel) {
        this.local = local;
        this.stats = stats;
        this.settings = settings;
        this.icmp = new Icmp6(output, local, stats, rateLimit, p -> transports[p]);
        this.reassembly = new Ipv6Reassembly(stats, icmp, clock, wheel);
        this.extensionHeaders = new Ipv6ExtensionHeaders(this, stats, icmp);
        this.views = new Ipv6View[queueCount];
        for (int i = 0; i < queueCount; i++) {
            views[i] = new Ipv6View();
        }
        transports[IpProtocol.ICMPV6] = icmp;
        transports[IpProtocol.UDP] = new Udp6(icmp, stats);
    }

    /** Registers the IPv6 input of an upper-layer protocol (TCP). */
    public void register(int protocol, Ipv6Transport transport) {
        transports[protocol] = transport;
    }

    /** Linux ip6_rcv_core, then ip6_rcv_finish's delivery decision and ip6_input_finish. */
    @Override
    public void receive(int queue, ByteBuf packet) {
        stats.inc(Counter.Ip6InReceives);
        if (!settings.ipv6) {
            drop(DropReason.IPV6_DISABLED, Counter.Ip6InDiscards);
            return;
        }
        int start = packet.readerIndex();
        int available = packet.readableBytes();
        if (available < Ipv6View.HEADER_LENGTH || (packet.getUnsignedByte(start) >>> 4) != 6) {
            drop(DropReason.IPV6_HDR, Counter.Ip6InHdrErrors);
            return;
        }
        Ipv6View ip = views[queue].wrap(packet, start);
        stats.inc(ECN_COUNTERS[ip.trafficClass() & 3]);
        long srcHi = ip.sourceHi();
        long dstHi = ip.destinationHi();
        long dstLo = ip.destinationLo();
        // RFC 4291 2.5.3 (loopback never on a link), 2.7 (multicast scope 0 and 1, multicast sources)
        boolean dstMulticast = IpAddress.isMulticast(dstHi);
        if (isLoopback(srcHi, ip.sourceLo()) || isLoopback(dstHi, dstLo) || IpAddress.isMulticast(srcHi)
                || (dstMulticast && ((dstHi >>> 48) & 0xf) <= 1)) {
            drop(DropReason.IPV6_HDR, Counter.Ip6InHdrErrors);
            return;
        }
        int payload = ip.declaredPayloadLength();
        int end;
        if (payload == 0 && ip.nextHeader() == IpProtocol.HOPOPTS) {
            end = start + available; // a jumbogram's length is in its hop-by-hop option (RFC 2675)
        } else if (Ipv6View.HEADER_LENGTH + payload > available) {
            drop(DropReason.IPV6_PAYLOAD_LENGTH, Counter.Ip6InTruncatedPkts);
            return;
        } else {
            end = start + Ipv6View.HEADER_LENGTH + payload;
        }
        int offset = start + Ipv6View.HEADER_LENGTH;
        int nextHeader = ip.nextHeader();
        int nextHeaderAt = start + 6;
        if (nextHeader == IpProtocol.HOPOPTS) {
            int length = extensionHeaders.options(queue, ip, offset, end, true);
            if (length < 0) {
                return;
            }
            nextHeader = packet.getUnsignedByte(offset);
            nextHeaderAt = offset;
            offset += length;
        }
        // ip6_rcv_finish: ours, or a group we are in; a host forwards nothing (RFC 4291 2.8)
        if (dstMulticast) {
            stats.inc(Counter.Ip6InMcastPkts);
            if (!(dstHi == Icmp6.ALL_NODES_HI && dstLo == Icmp6.ALL_NODES_LO) && !isOwnSolicitedNode(dstHi, dstLo)) {
                stats.drop(DropReason.IPV6_MULTICAST);
                return;
            }
        } else if (dstHi != local.hi() || dstLo != local.lo()) {
            drop(IpAddress.isV4(dstHi, dstLo) ? DropReason.IPV6_V4MAPPED : DropReason.IP_OTHERHOST,
                    Counter.Ip6InAddrErrors);
            return;
        }
        if (IpAddress.isV4(srcHi, ip.sourceLo())) {
            drop(DropReason.IPV6_V4MAPPED, Counter.Ip6InHdrErrors); // would alias an IPv4 peer's connections
            return;
        }
        deliver(queue, ip, nextHeader, nextHeaderAt, offset, end, false);
    }

    /**
     * Linux ip6_protocol_deliver_rcu: the headers from {@code offset} on, where {@code nextHeader}
     * (the byte at {@code nextHeaderAt}) names the first, until an upper-layer protocol takes the
     * packet. {@code fragmented}: a fragment header was passed (Linux IP6SKB_FRAGMENTED), so
     * another one is an error.
     */
    void deliver(int queue, Ipv6View ip, int nextHeader, int nextHeaderAt, int offset, int end, boolean fragmented) {
        ByteBuf buf = ip.buf();
        while (true) {
            int length;
            switch (nextHeader) {
                case IpProtocol.DSTOPTS -> length = extensionHeaders.options(queue, ip, offset, end, false);
                case IpProtocol.ROUTING -> length = extensionHeaders.routing(queue, ip, offset, end);
                case IpProtocol.FRAGMENT -> {
                    if (!fragmented) {
                        stats.inc(Counter.Ip6ReasmReqds);
                    }
                    if (fragmented || buf.getUnsignedShort(ip.offset() + 4) == 0 || end - offset < 8) {
                        // ipv6_frag_rcv fail_hdr: a second fragment header, a jumbogram's, or a cut one
                        parameterProblem(queue, ip, Icmp6.CODE_HEADER_FIELD, offset - ip.offset(), DropReason.IPV6_FRAG);
                        return;
                    }
                    if ((buf.getUnsignedShort(offset + 2) & 0xfff9) == 0) {
                        // an atomic fragment (RFC 6946): a whole datagram behind a fragment header
                        stats.inc(Counter.Ip6ReasmOKs);
                        fragmented = true;
                        length = 8;
                    } else {
                        reassembly.add(queue, ip, offset, end, nextHeaderAt, this);
                        return;
                    }
                }
                case IpProtocol.NONE -> {
                    stats.inc(Counter.Ip6InDelivers); // Linux's nodata handler takes it and frees it
                    stats.drop(DropReason.IPV6_NO_NEXT_HEADER);
                    return;
                }
                default -> {
                    Ipv6Transport transport = transports[nextHeader];
                    if (transport == null) {
                        // RFC 8200 4: an unknown next header (hop-by-hop anywhere but first is one)
                        stats.inc(Counter.Ip6InUnknownProtos);
                        stats.drop(DropReason.IPV6_NOPROTO);
                        icmp.sendError(queue, ip, Icmp6.TYPE_PARAMETER_PROBLEM, Icmp6.CODE_UNKNOWN_NEXT_HEADER,
                                nextHeaderAt - ip.offset(), false);
                        return;
                    }
                    stats.inc(Counter.Ip6InDelivers);
                    ip.setUpperLayer(nextHeader, offset, end - offset);
                    transport.receive(queue, ip);
                    return;
                }
            }
            if (length < 0) {
                return;
            }
            nextHeaderAt = offset;
            nextHeader = buf.getUnsignedByte(offset);
            offset += length;
        }
    }

    /** Counts Ip6InHdrErrors and answers with a Parameter Problem pointing {@code pointer} bytes into the packet. */
    void parameterProblem(int queue, Ipv6View ip, int code, int pointer, DropReason reason) {
        drop(reason, Counter.Ip6InHdrErrors);
        icmp.sendError(queue, ip, Icmp6.TYPE_PARAMETER_PROBLEM, code, pointer, false);
    }

    /** Counts a dropped packet: its {@code reason} and the Ip6* counter {@code mib}. */
    void drop(DropReason reason, Counter mib) {
        stats.drop(reason);
        stats.inc(mib);
    }

    private static boolean isLoopback(long hi, long lo) {
        return hi == 0 && lo == 1;
    }

    /** ff02::1:ff00:0/104, the solicited-node groups (RFC 4291 2.7.1). */
    static boolean isSolicitedNode(long hi, long lo) {
        return hi == 0xff02_0000_0000_0000L && (lo >>> 24) == 0x1_ff;
    }

    /** Our address's solicited-node group, the one group besides all-nodes we are in. */
    private boolean isOwnSolicitedNode(long hi, long lo) {
        return isSolicitedNode(hi, lo) && (lo & 0xff_ffff) == (local.lo() & 0xff_ffff);
    }
}
