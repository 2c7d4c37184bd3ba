package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IcmpView;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;
import java.util.function.IntFunction;

/**
 * ICMPv6 (RFC 4443; Linux net/ipv6/icmp.c) and the part of neighbour discovery (RFC 4861) a host
 * on a TUN link needs: answers echo requests and neighbour solicitations for its address, learns
 * path MTUs from Packet Too Big and tells the transport, ignores router advertisements and the
 * rest of ND (a layer-3 link has no link-layer addresses to resolve), sends errors rate-limited
 * like icmp6_send ({@link IcmpRateLimit}). Counts under Linux's Icmp6* names. Thread-safe.
 */
public final class Icmp6 implements Ipv6Transport {
    public static final int TYPE_DEST_UNREACHABLE = 1;
    public static final int TYPE_PACKET_TOO_BIG = 2;
    public static final int TYPE_TIME_EXCEEDED = 3;
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    public static final int TYPE_ECHO_REQUEST = 128;
    public static final int TYPE_ECHO_REPLY = 129;
    public static final int TYPE_MLD_QUERY = 130;
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    public static final int TYPE_REDIRECT = 137;
    /** Destination unreachable code 4 (RFC 4443 3.1). */
    public static final int CODE_PORT_UNREACHABLE = 4;
    /** Time exceeded code 1 (RFC 4443 3.3). */
    public static final int CODE_FRAGMENT_REASSEMBLY = 1;
    /** Parameter problem codes (RFC 4443 3.4, RFC 7112). */
    public static final int CODE_HEADER_FIELD = 0;
    public static final int CODE_UNKNOWN_NEXT_HEADER = 1;
    public static final int CODE_UNKNOWN_OPTION = 2;
    public static final int CODE_HEADER_CHAIN_INCOMPLETE = 3;

    /** Linux icmp6_send: the error fits the IPv6 minimum MTU. */
    private static final int MAX_QUOTED = Ipv6View.MIN_MTU - Ipv6View.HEADER_LENGTH - IcmpView.HEADER_LENGTH;
    /** RFC 4861 4.3 and 4.4: type, code, checksum, reserved, a 16-byte target. */
    private static final int ND_LENGTH = 24;
    /** RFC 4861 4.4: the neighbour advertisement's Router, Solicited and Override flags. */
    private static final int NA_SOLICITED = 0x4000_0000;
    private static final int NA_OVERRIDE = 0x2000_0000;
    /** RFC 4861 7.1: ND messages travel with hop limit 255 and are checked for it. */
    private static final int ND_HOP_LIMIT = 255;
    /** RFC 4861 4.6.1: the source link-layer address option. */
    private static final int OPTION_SOURCE_LINK_ADDRESS = 1;
    /** ff02::1, the all-nodes group. */
    static final long ALL_NODES_HI = 0xff02_0000_0000_0000L;
    static final long ALL_NODES_LO = 1;

    private final IpOutput output;
    private final StackStats stats;
    private final IpAddress local;
    private final IcmpRateLimit rateLimit;
    private final IntFunction<Ipv6Transport> transports;

    /**
     * @param rateLimit the limits on ICMP errors (icmp6_ratelimit), the global one shared with IPv4
     * @param transports the IPv6 input of each upper-layer protocol, told of errors about what it sent
     */
    Icmp6(IpOutput output, IpAddress local, StackStats stats, IcmpRateLimit rateLimit,
            IntFunction<Ipv6Transport> transports) {
        this.output = output;
        this.local = local;
        this.stats = stats;
        this.rateLimit = rateLimit;
        this.transports = transports;
    }

    /** Linux icmpv6_rcv. */
    @Override
    public void receive(int queue, Ipv6View ip) {
        stats.inc(Counter.Icmp6InMsgs);
        ByteBuf buf = ip.buf();
        int offset = ip.payloadOffset();
        int length = ip.payloadLength();
        if (Checksum.fold(Checksum.sum(buf, offset, length, ip.pseudoHeader(IpProtocol.ICMPV6, length))) != 0) {
            stats.inc(Counter.Icmp6InCsumErrors);
            drop(DropReason.ICMP_CSUM);
            return;
        }
        if (length < IcmpView.HEADER_LENGTH) {
            drop(DropReason.ICMP_CSUM);
            return;
        }
        int type = buf.getUnsignedByte(offset);
        int code = buf.getUnsignedByte(offset + 1);
        int info = buf.getInt(offset + 4);
        switch (type) {
            case TYPE_ECHO_REQUEST -> echoReply(queue, ip);
            case TYPE_ECHO_REPLY -> {
                stats.inc(Counter.Icmp6InEchoReplies);
                stats.drop(DropReason.ICMP_UNHANDLED); // no ping sockets
            }
            case TYPE_PACKET_TOO_BIG -> {
                stats.inc(Counter.Icmp6InPktTooBigs);
                notifyTransport(queue, type, code, info, ip);
            }
            case TYPE_DEST_UNREACHABLE, TYPE_TIME_EXCEEDED, TYPE_PARAMETER_PROBLEM -> {
                stats.inc(type == TYPE_DEST_UNREACHABLE ? Counter.Icmp6InDestUnreachs
                        : type == TYPE_TIME_EXCEEDED ? Counter.Icmp6InTimeExcds : Counter.Icmp6InParmProblems);
                notifyTransport(queue, type, code, info, ip);
            }
            case TYPE_NEIGHBOR_SOLICITATION -> {
                stats.inc(Counter.Icmp6InNeighborSolicits);
                neighborSolicitation(queue, ip, code);
            }
            case TYPE_NEIGHBOR_ADVERTISEMENT, TYPE_ROUTER_SOLICITATION, TYPE_ROUTER_ADVERTISEMENT, TYPE_REDIRECT -> {
                stats.inc(switch (type) {
                    case TYPE_NEIGHBOR_ADVERTISEMENT -> Counter.Icmp6InNeighborAdvertisements;
                    case TYPE_ROUTER_SOLICITATION -> Counter.Icmp6InRouterSolicits;
                    case TYPE_ROUTER_ADVERTISEMENT -> Counter.Icmp6InRouterAdvertisements;
                    default -> Counter.Icmp6InRedirects;
                });
                stats.drop(DropReason.IPV6_NDISC_IGNORED); // a host on a layer-3 link: no neighbours, no routers
            }
            case TYPE_MLD_QUERY -> {
                stats.inc(Counter.Icmp6InGroupMembQueries);
                stats.drop(DropReason.ICMP_UNHANDLED); // all-nodes is the only group, never reported (RFC 3810 6)
            }
            default -> {
                if (type < 128) {
                    notifyTransport(queue, type, code, info, ip); // an error of unknown type: to the upper layer
                }
                stats.drop(DropReason.ICMP_UNHANDLED);
            }
        }
    }

    private void drop(DropReason reason) {
        stats.inc(Counter.Icmp6InErrors);
        stats.drop(reason);
    }

    /**
     * Linux icmpv6_echo_reply: the identifier, sequence and data back, from our address (also for
     * a request to a multicast group, echo_ignore_multicast 0), with the request's traffic class.
     */
    private void echoReply(int queue, Ipv6View request) {
        stats.inc(Counter.Icmp6InEchos);
        int length = request.payloadLength();
        ByteBuf reply = output.allocate6(length);
        int at = reply.writerIndex();
        reply.writeBytes(request.buf(), request.payloadOffset(), length);
        reply.setByte(at, TYPE_ECHO_REPLY);
        long srcHi = request.sourceHi();
        long srcLo = request.sourceLo();
        fillChecksum(reply, at, length, srcHi, srcLo);
        stats.inc(Counter.Icmp6OutMsgs);
        stats.inc(Counter.Icmp6OutEchoReplies);
        output.send6(queue, reply, IpProtocol.ICMPV6, srcHi, srcLo,
                output.flowLabel(srcHi, srcLo, reply.getInt(at + 4)), request.trafficClass(), output.defaultHopLimit());
    }

    /**
     * Linux ndisc_rcv and ndisc_recv_ns (RFC 4861 7.1.1, 7.2.4): a valid solicitation for our
     * address gets a neighbour advertisement, solicited, with Override only when the solicitation
     * was multicast and no target link-layer address (a TUN device has none); a duplicate address
     * probe (from ::) gets its answer on all-nodes, unsolicited.
     */
    private void neighborSolicitation(int queue, Ipv6View ns, int code) {
        if (ns.hopLimit() != ND_HOP_LIMIT) {
            drop(DropReason.IPV6_NDISC_HOP_LIMIT);
            return;
        }
        if (code != 0) {
            drop(DropReason.IPV6_NDISC_BAD_CODE);
            return;
        }
        ByteBuf buf = ns.buf();
        int offset = ns.payloadOffset();
        int length = ns.payloadLength();
        boolean dad = ns.sourceHi() == 0 && ns.sourceLo() == 0;
        if (length < ND_LENGTH || IpAddress.isMulticast(buf.getLong(offset + 8))
                || (dad && !Ipv6Input.isSolicitedNode(ns.destinationHi(), ns.destinationLo()))
                || !optionsValid(buf, offset + ND_LENGTH, offset + length, dad)) {
            drop(DropReason.IPV6_NDISC_BAD_OPTIONS);
            return;
        }
        if (buf.getLong(offset + 8) != local.hi() || buf.getLong(offset + 16) != local.lo()) {
            stats.drop(DropReason.IPV6_NDISC_NS_OTHERHOST);
            return;
        }
        boolean multicast = IpAddress.isMulticast(ns.destinationHi());
        ByteBuf na = output.allocate6(ND_LENGTH);
        int at = na.writerIndex();
        na.writerIndex(at + ND_LENGTH);
        na.setByte(at, TYPE_NEIGHBOR_ADVERTISEMENT);
        na.setByte(at + 1, 0);
        na.setInt(at + 4, (dad ? 0 : NA_SOLICITED) | (multicast ? NA_OVERRIDE : 0));
        local.write(na, at + 8);
        long dstHi = dad ? ALL_NODES_HI : ns.sourceHi();
        long dstLo = dad ? ALL_NODES_LO : ns.sourceLo();
        fillChecksum(na, at, ND_LENGTH, dstHi, dstLo);
        stats.inc(Counter.Icmp6OutMsgs);
        stats.inc(Counter.Icmp6OutNeighborAdvertisements);
        output.send6(queue, na, IpProtocol.ICMPV6, dstHi, dstLo, output.flowLabel(dstHi, dstLo, TYPE_NEIGHBOR_ADVERTISEMENT),
                0, ND_HOP_LIMIT);
    }

    /**
     * Linux ndisc_parse_options: each option has a length of at least one 8-byte unit and ends
     * within the message; a duplicate address probe carries no source link-layer address.
     */
    private static boolean optionsValid(ByteBuf buf, int from, int end, boolean dad) {
        for (int o = from; o < end; ) {
            if (end - o < 2) {
                return false;
            }
            int units = buf.getUnsignedByte(o + 1);
            if (units == 0 || o + units * 8 > end) {
                return false;
            }
            if (dad && buf.getUnsignedByte(o) == OPTION_SOURCE_LINK_ADDRESS) {
                return false;
            }
            o += units * 8;
        }
        return true;
    }

    /**
     * Linux icmpv6_notify: an error about a packet we sent goes to its upper layer, found past the
     * quoted packet's extension headers; a Packet Too Big first lowers the path MTU to its
     * destination (never below 1280). The quoted packet must be ours and show 8 bytes of its
     * upper-layer header.
     */
    private void notifyTransport(int queue, int type, int code, int info, Ipv6View ip) {
        int quotedAt = ip.payloadOffset() + IcmpView.HEADER_LENGTH;
        int quotedLength = ip.payloadLength() - IcmpView.HEADER_LENGTH;
        if (quotedLength < Ipv6View.HEADER_LENGTH + 8) {
            drop(DropReason.ICMP_UNHANDLED);
            return;
        }
        Ipv6View quoted = new Ipv6View().wrap(ip.buf(), quotedAt);
        if (quoted.version() != 6 || quoted.sourceHi() != local.hi() || quoted.sourceLo() != local.lo()) {
            drop(DropReason.ICMP_UNHANDLED);
            return;
        }
        int end = quotedAt + quotedLength;
        long upper = Ipv6ExtensionHeaders.skipExtensionHeaders(quoted.buf(), quoted.nextHeader(), quotedAt + Ipv6View.HEADER_LENGTH, end);
        if (upper < 0 || (int) upper + 8 > end) {
            drop(DropReason.ICMP_UNHANDLED);
            return;
        }
        int protocol = (int) (upper >>> 32);
        quoted.setUpperLayer(protocol, (int) upper, end - (int) upper);
        if (type == TYPE_PACKET_TOO_BIG) {
            output.reducePathMtu(quoted.destination(), info);
        }
        Ipv6Transport transport = transports.apply(protocol);
        if (transport != null) {
            transport.error(queue, type, code, info, quoted);
        }
    }

    /**
     * Linux icmp6_send: an error about {@code original} to its source, quoting as much of it as
     * fits 1280 bytes. Never about an ICMPv6 error, never to an unspecified or multicast source,
     * and about a packet sent to a multicast group only a Packet Too Big or a Parameter Problem
     * for an option that asks for one ({@code multicastAllowed}, RFC 4443 2.4 (e)); rate-limited.
     */
    void sendError(int queue, Ipv6View original, int type, int code, int info, boolean multicastAllowed) {
        long srcHi = original.sourceHi();
        long srcLo = original.sourceLo();
        if ((IpAddress.isMulticast(original.destinationHi()) && !multicastAllowed)
                || (srcHi == 0 && srcLo == 0) || IpAddress.isMulticast(srcHi) || isIcmpError(original)) {
            return;
        }
        String limited = rateLimit.check6(type, IpAddress.of(srcHi, srcLo));
        if (limited != null) {
            stats.inc(limited.equals("host") ? Counter.Icmp6OutRateLimitHost : Counter.IcmpOutRateLimitGlobal);
            return;
        }
        int quoted = Math.min(original.totalLength(), MAX_QUOTED);
        ByteBuf packet = output.allocate6(IcmpView.HEADER_LENGTH + quoted);
        int at = packet.writerIndex();
        packet.writerIndex(at + IcmpView.HEADER_LENGTH);
        packet.writeBytes(original.buf(), original.offset(), quoted);
        packet.setByte(at, type);
        packet.setByte(at + 1, code);
        packet.setInt(at + 4, info);
        fillChecksum(packet, at, IcmpView.HEADER_LENGTH + quoted, srcHi, srcLo);
        stats.inc(Counter.Icmp6OutMsgs);
        stats.inc(switch (type) {
            case TYPE_DEST_UNREACHABLE -> Counter.Icmp6OutDestUnreachs;
            case TYPE_TIME_EXCEEDED -> Counter.Icmp6OutTimeExcds;
            default -> Counter.Icmp6OutParmProblems;
        });
        output.send6(queue, packet, IpProtocol.ICMPV6, srcHi, srcLo, output.flowLabel(srcHi, srcLo, type << 8 | code), 0,
                output.defaultHopLimit());
    }

    /**
     * Linux is_ineligible: the packet is an ICMPv6 error (or too short to tell), which is never
     * answered by one (RFC 4443 2.4 (e.1)).
     */
    private static boolean isIcmpError(Ipv6View original) {
        int end = original.offset() + original.totalLength();
        long upper = Ipv6ExtensionHeaders.skipExtensionHeaders(original.buf(), original.nextHeader(),
                original.offset() + Ipv6View.HEADER_LENGTH, end);
        if (upper < 0 || (upper >>> 32) != IpProtocol.ICMPV6) {
            return false;
        }
        return (int) upper >= end || original.buf().getUnsignedByte((int) upper) < 128;
    }

    /** The checksum over the pseudo-header (our address to {@code dst}) and the message (RFC 4443 2.3). */
    private void fillChecksum(ByteBuf packet, int at, int length, long dstHi, long dstLo) {
        packet.setShort(at + 2, 0);
        long pseudo = Checksum.pseudoHeader6(local.hi(), local.lo(), dstHi, dstLo, IpProtocol.ICMPV6, length);
        packet.setShort(at + 2, Checksum.fold(Checksum.sum(packet, at, length, pseudo)));
    }
}
