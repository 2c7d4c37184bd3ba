package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;

/**
 * The IPv6 extension headers a host acts on (RFC 8200 4; Linux net/ipv6/exthdrs.c and
 * exthdrs_core.c): hop-by-hop and destination options (ip6_parse_tlv), the routing header
 * (ipv6_rthdr_rcv), and the walk past them to the upper-layer header (ipv6_skip_exthdr).
 * Fragment headers are {@link Ipv6Input}'s and {@link Ipv6Reassembly}'s.
 */
final class Ipv6ExtensionHeaders {
    /** net.ipv6.max_dst_opts_number and max_hbh_opts_number: options other than padding per header. */
    private static final int MAX_OPTIONS = 8;
    /** RFC 8200 4.2 and RFC 4942 2.1.9.5: padding longer than 7 bytes is not padding. */
    private static final int MAX_PADDING = 7;
    private static final int OPTION_PAD1 = 0;
    private static final int OPTION_PADN = 1;
    /** RFC 2711: router alert, two bytes of value. */
    private static final int OPTION_ROUTER_ALERT = 5;
    /** RFC 2675: the jumbo payload option. */
    private static final int OPTION_JUMBO = 0xc2;
    /** RFC 5095, RFC 6554, RFC 8754: routing header types 0 (deprecated), 3 (RPL), 4 (segment routing). */
    private static final int ROUTING_RPL = 3;
    private static final int ROUTING_SEGMENT = 4;

    private final Ipv6Input input;
    private final StackStats stats;
    private final Icmp6 icmp;

    Ipv6ExtensionHeaders(Ipv6Input input, StackStats stats, Icmp6 icmp) {
        this.input = input;
        this.stats = stats;
        this.icmp = icmp;
    }

    /**
     * The length of the extension header at {@code offset} if the packet holds all of it
     * (Linux ipv6_destopt_rcv's pskb_may_pull checks); else counts Ip6InHdrErrors and returns -1.
     */
    private int extensionLength(ByteBuf buf, int offset, int end) {
        if (end - offset < 8 || end - offset < (buf.getUnsignedByte(offset + 1) + 1) * 8) {
            input.drop(DropReason.IPV6_EXTHDR, Counter.Ip6InHdrErrors);
            return -1;
        }
        return (buf.getUnsignedByte(offset + 1) + 1) * 8;
    }

    /**
     * Linux ip6_parse_tlv for a hop-by-hop or destination options header at {@code offset}: at
     * most 7 bytes of padding in a row, zeros in PadN, at most {@link #MAX_OPTIONS} options, each
     * within the header; an unknown option's two high bits say skip (00), drop (01), drop and
     * send a Parameter Problem (10), or do so unless the packet was multicast (11). Returns the
     * header's length, or -1 when the packet is gone (counted Ip6InHdrErrors).
     */
    int options(int queue, Ipv6View ip, int offset, int end, boolean hopByHop) {
        ByteBuf buf = ip.buf();
        int length = extensionLength(buf, offset, end);
        if (length < 0) {
            return -1;
        }
        int o = offset + 2;
        int optionsEnd = offset + length;
        int count = 0;
        int padding = 0;
        while (o < optionsEnd) {
            int type = buf.getUnsignedByte(o);
            if (type == OPTION_PAD1) {
                if (++padding > MAX_PADDING) {
                    return badOptions();
                }
                o++;
                continue;
            }
            if (optionsEnd - o < 2 || o + 2 + buf.getUnsignedByte(o + 1) > optionsEnd) {
                return badOptions();
            }
            int optionLength = 2 + buf.getUnsignedByte(o + 1);
            if (type == OPTION_PADN) {
                padding += optionLength;
                if (padding > MAX_PADDING || buf.getUnsignedByte(o + 1) > 0 && !zeros(buf, o + 2, optionLength - 2)) {
                    return badOptions();
                }
            } else {
                if (++count > MAX_OPTIONS) {
                    return badOptions();
                }
                if (!option(queue, ip, o, hopByHop)) {
                    return -1;
                }
                padding = 0;
            }
            o += optionLength;
        }
        return length;
    }

    private static boolean zeros(ByteBuf buf, int from, int length) {
        for (int i = 0; i < length; i++) {
            if (buf.getByte(from + i) != 0) {
                return false;
            }
        }
        return true;
    }

    private int badOptions() {
        input.drop(DropReason.IPV6_EXTHDR, Counter.Ip6InHdrErrors);
        return -1;
    }

    /**
     * One option other than padding at {@code o}; false when the packet is dropped. Router alert
     * (checked for its length) is the only hop-by-hop option a host acts on here; a jumbo payload
     * cannot be one on a link of at most 64 KiB (Linux ipv6_hop_jumbo).
     */
    private boolean option(int queue, Ipv6View ip, int o, boolean hopByHop) {
        ByteBuf buf = ip.buf();
        int type = buf.getUnsignedByte(o);
        int pointer = o - ip.offset();
        if (hopByHop && type == OPTION_ROUTER_ALERT) {
            if (buf.getUnsignedByte(o + 1) != 2) {
                badOptions();
                return false;
            }
            return true;
        }
        if (hopByHop && type == OPTION_JUMBO) {
            if (buf.getUnsignedByte(o + 1) != 4 || (pointer & 3) != 2) {
                badOptions();
            } else if (buf.getInt(o + 2) >= 0 && buf.getInt(o + 2) <= 0xffff) {
                input.parameterProblem(queue, ip, Icmp6.CODE_HEADER_FIELD, pointer + 2, DropReason.IPV6_EXTHDR);
            } else if (ip.declaredPayloadLength() != 0) {
                input.parameterProblem(queue, ip, Icmp6.CODE_HEADER_FIELD, pointer, DropReason.IPV6_EXTHDR);
            } else {
                input.drop(DropReason.IPV6_PAYLOAD_LENGTH, Counter.Ip6InTruncatedPkts);
            }
            return false;
        }
        // ip6_tlvopt_unknown: the action is in the type's two high bits (RFC 8200 4.2)
        switch (type >>> 6) {
            case 0 -> {
                return true;
            }
            case 1 -> input.drop(DropReason.IPV6_UNKNOWN_OPTION, Counter.Ip6InHdrErrors);
            default -> {
                boolean evenToMulticast = (type >>> 6) == 2;
                stats.inc(Counter.Ip6InHdrErrors);
                stats.drop(DropReason.IPV6_UNKNOWN_OPTION);
                icmp.sendError(queue, ip, Icmp6.TYPE_PARAMETER_PROBLEM, Icmp6.CODE_UNKNOWN_OPTION, pointer,
                        evenToMulticast);
            }
        }
        return false;
    }

    /**
     * Linux ipv6_rthdr_rcv for a host: a routing header with no segments left is passed over;
     * segment routing and RPL headers are dropped (seg6_enabled and rpl_seg_enabled are off);
     * any other with segments left, type 0 (RFC 5095) among them, gets a Parameter Problem
     * pointing at its type.
     */
    int routing(int queue, Ipv6View ip, int offset, int end) {
        ByteBuf buf = ip.buf();
        int length = extensionLength(buf, offset, end);
        if (length < 0) {
            return -1;
        }
        if (IpAddress.isMulticast(ip.destinationHi())) {
            input.drop(DropReason.IPV6_RTHDR, Counter.Ip6InAddrErrors);
            return -1;
        }
        int type = buf.getUnsignedByte(offset + 2);
        if (type == ROUTING_RPL || type == ROUTING_SEGMENT) {
            stats.drop(DropReason.IPV6_RTHDR);
            return -1;
        }
        if (buf.getUnsignedByte(offset + 3) == 0) {
            return length;
        }
        input.parameterProblem(queue, ip, Icmp6.CODE_HEADER_FIELD, offset + 2 - ip.offset(), DropReason.IPV6_RTHDR);
        return -1;
    }

    private static boolean isExtensionHeader(int nextHeader) {
        return nextHeader == IpProtocol.HOPOPTS || nextHeader == IpProtocol.ROUTING || nextHeader == IpProtocol.FRAGMENT
                || nextHeader == IpProtocol.DSTOPTS;
    }

    /**
     * Linux ipv6_skip_exthdr: from the header {@code nextHeader} at {@code at}, past the extension
     * headers, to the upper-layer header; (its protocol << 32) | its offset, or -1 when the
     * headers run past {@code end}. A fragment other than the first ends the walk at its data.
     */
    static long skipExtensionHeaders(ByteBuf buf, int nextHeader, int at, int end) {
        while (isExtensionHeader(nextHeader)) {
            if (end - at < 8) {
                return -1;
            }
            int next = buf.getUnsignedByte(at);
            if (nextHeader == IpProtocol.FRAGMENT) {
                boolean later = (buf.getUnsignedShort(at + 2) & ~7) != 0;
                at += 8;
                if (later) {
                    return ((long) next << 32) | at;
                }
            } else {
                at += (buf.getUnsignedByte(at + 1) + 1) * 8;
            }
            nextHeader = next;
        }
        return ((long) nextHeader << 32) | at;
    }
}
