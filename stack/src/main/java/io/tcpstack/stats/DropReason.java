package io.tcpstack.stats;

/**
 * Why an inbound packet was dropped. Every drop in the stack names one of these; each is counted
 * ({@link StackStats#drops()}) and traced. Names follow Linux's skb drop reasons
 * (include/net/dropreason-core.h) where one exists; each carries its rule (RFC section, Linux
 * function) and one sentence, which ladders show at the drop.
 */
public enum DropReason {
    /** Shorter than a minimal IPv4 header (SKB_DROP_REASON_PKT_TOO_SMALL). */
    IP_TOO_SHORT("Linux ip_rcv_core",
            "Shorter than an IPv4 header: there is nothing to read."),
    /** Version field is not 4 (SKB_DROP_REASON_IP_INHDR). */
    IP_VERSION("RFC 791 3.1; Linux ip_rcv_core",
            "The version field is not 4."),
    /** IHL below 5 words or past the packet (SKB_DROP_REASON_IP_INHDR). */
    IP_IHL("RFC 791 3.1; Linux ip_rcv_core",
            "The header length is under 5 words or runs past the packet."),
    /** Total length below the header or beyond the bytes received (SKB_DROP_REASON_PKT_TOO_SMALL). */
    IP_TOTAL_LENGTH("RFC 791 3.1; Linux ip_rcv_core",
            "The total length is below the header or beyond the bytes that arrived."),
    /** Header checksum does not verify (SKB_DROP_REASON_IP_CSUM). */
    IP_CSUM("RFC 791 3.1; Linux ip_rcv_core",
            "The IPv4 header checksum does not verify."),
    /** A fragment: reassembly is not implemented, so fragments are counted and dropped. */
    IP_FRAGMENT("RFC 791 3.2; Linux ip_defrag",
            "A fragment: tcpstack does not reassemble IP fragments, it counts and drops them."),
    /** Not addressed to this host (SKB_DROP_REASON_OTHERHOST). */
    IP_OTHERHOST("RFC 1122 3.3.4.2; Linux ip_rcv_finish",
            "Addressed to another host, and a host does not forward."),
    /** TTL 0 on arrival: no host should have sent it (RFC 1122 3.2.1.7). */
    IP_TTL("RFC 1122 3.2.1.7",
            "TTL 0 on arrival: no host should have sent it."),
    /** Source address that cannot be a host: broadcast, multicast, 0 or loopback (SKB_DROP_REASON_IP_INVALID_SOURCE). */
    IP_INVALID_SOURCE("RFC 1122 3.2.1.3; Linux ip_route_input_slow",
            "The source is broadcast, multicast, 0 or loopback: not a host that can be answered."),
    /** No handler for the protocol; ICMP protocol unreachable sent (SKB_DROP_REASON_IP_NOPROTO). */
    IP_NOPROTO("RFC 1122 3.2.2.1; Linux ip_protocol_deliver_rcu",
            "No handler for the protocol: an ICMP protocol unreachable goes back."),
    /** ICMP message shorter than its header or with a bad checksum (SKB_DROP_REASON_ICMP_CSUM). */
    ICMP_CSUM("RFC 792; Linux icmp_rcv",
            "An ICMP message shorter than its header or with a bad checksum."),
    /** ICMP type the stack does not handle. */
    ICMP_UNHANDLED("RFC 1122 3.2.2",
            "An ICMP type the stack does not act on (it answers echo requests and reads unreachables)."),
    /** UDP datagram shorter than its header or than its length field says (SKB_DROP_REASON_PKT_TOO_SMALL). */
    UDP_BAD_LENGTH("RFC 768; Linux __udp4_lib_rcv",
            "Shorter than a UDP header, or than its own length field says."),
    /** UDP checksum does not verify (SKB_DROP_REASON_UDP_CSUM). */
    UDP_CSUM("RFC 768; Linux __udp4_lib_rcv",
            "The UDP checksum (pseudo-header included) does not verify."),
    /** UDP datagram for a port without a socket: ICMP port unreachable (SKB_DROP_REASON_NO_SOCKET). */
    UDP_NO_SOCKET("RFC 1122 3.2.2.1; Linux __udp4_lib_rcv",
            "No socket has this UDP port: dropped, and answered with ICMP port unreachable (rate-limited)."),
    /** TCP segment shorter than its header (SKB_DROP_REASON_PKT_TOO_SMALL). */
    TCP_TOO_SHORT("RFC 9293 3.1; Linux tcp_v4_rcv",
            "Shorter than a TCP header."),
    /** TCP data offset below 5 or past the segment (SKB_DROP_REASON_TCP_INVALID_DOFF... Linux: TCP_HDR). */
    TCP_DATA_OFFSET("RFC 9293 3.1; Linux tcp_v4_rcv",
            "The data offset is under 5 words or past the end of the segment."),
    /** TCP checksum does not verify (SKB_DROP_REASON_TCP_CSUM). */
    TCP_CSUM("RFC 9293 3.1; Linux tcp_v4_rcv",
            "The TCP checksum (pseudo-header included) does not verify."),
    /** TCP segment for no socket (SKB_DROP_REASON_NO_SOCKET); answered with RST unless it is one. */
    TCP_NO_SOCKET("RFC 9293 3.10.7.1; Linux tcp_v4_rcv",
            "No connection, record or listener has this 4-tuple: dropped, and answered with RST unless it is one."),
    /** Segment not acceptable for the receive window (SKB_DROP_REASON_TCP_INVALID_SEQUENCE). */
    TCP_INVALID_SEQUENCE("RFC 9293 3.10.7.4 first; Linux tcp_sequence",
            "Beyond the right edge of the receive window: dropped, yet answered with an ACK of rcv.nxt, so a dropped segment can have an answer."),
    /** Segment wholly before the window we last advertised: an old duplicate (SKB_DROP_REASON_TCP_OLD_SEQUENCE). */
    TCP_OLD_SEQUENCE("RFC 9293 3.10.7.4 first; Linux 6.x tcp_sequence",
            "Wholly before the window last advertised (a copy of what arrived already, or a window probe): dropped, yet answered with an ACK of rcv.nxt, so a dropped segment can have an answer."),
    /** ACK outside what was sent (SKB_DROP_REASON_TCP_INVALID_ACK_SEQUENCE). */
    TCP_INVALID_ACK_SEQUENCE("RFC 9293 3.10.7.3, 3.10.7.4 fifth; Linux tcp_ack",
            "It acknowledges what was never sent (in SYN-SENT: anything but our SYN): dropped; in SYN-SENT answered with RST seq=SEG.ACK."),
    /** Timestamp older than ts_recent (SKB_DROP_REASON_TCP_RFC7323_PAWS). */
    TCP_RFC7323_PAWS("RFC 7323 5.3; Linux tcp_paws_discard",
            "Its timestamp is more than a tick older than TS.Recent: an old duplicate for PAWS. Two workers processing one flow out of order (affinity none) make these too, mostly pure ACKs a later ACK covers."),
    /** RST not exactly at rcv.nxt (SKB_DROP_REASON_TCP_RESET, RFC 5961 3.2: challenge ACK sent). */
    TCP_RESET_CHALLENGE("RFC 5961 3.2; Linux tcp_validate_incoming",
            "An RST in the window but not exactly at rcv.nxt is not trusted: a challenge ACK asks a genuine peer for the exact one."),
    /** SYN in a synchronized state (RFC 5961 4: challenge ACK sent). */
    TCP_SYN_CHALLENGE("RFC 5961 4; Linux tcp_validate_incoming",
            "A SYN on a synchronized connection: answered with a challenge ACK, never by a reset."),
    /** Segment with neither ACK nor RST/SYN in a synchronized state (SKB_DROP_REASON_TCP_FLAGS). */
    TCP_FLAGS("RFC 9293 3.10.7; Linux tcp_rcv_state_process",
            "Flags that make no sense here (no ACK on a synchronized connection; ACK or RST to a listener)."),
    /** Segment processed against a Tcb that had turned CLOSED after lookup (Linux drops with reason TCP_CLOSE). */
    TCP_CLOSE("Linux tcp_v4_rcv, after bh_lock_sock",
            "Looked up for a connection that became a TIME_WAIT/FIN_WAIT_2 record before this segment got its lock: a stale lookup, the FIN/ACK race (TcpExtStaleLookupDrop)."),
    /** Listener's accept or SYN queue full (SKB_DROP_REASON_TCP_LISTEN_OVERFLOW... LISTENOVERFLOWS). */
    TCP_LISTEN_OVERFLOW("Linux tcp_conn_request",
            "The listener's SYN or accept queue is full: the SYN is dropped, the client will send it again."),
    /** Out-of-order segment beyond the bounded reassembly (SKB_DROP_REASON_TCP_OFOMERGE/OFO_DROP). */
    TCP_OFO_DROP("RFC 9293 3.10.7.4 seventh; Linux tcp_data_queue_ofo",
            "Out-of-order data that does not fit the window or the reassembly space."),
    /** Data beyond the receive window or with the receive queue full (SKB_DROP_REASON_TCP_ZEROWINDOW). */
    TCP_ZEROWINDOW("RFC 9293 3.8.6; Linux tcp_data_queue",
            "Data for a full receive buffer (a closed window): dropped; the sender has to probe."),
    /** Data the stack-wide memory budget (tcp_mem) has no room for (SKB_DROP_REASON_PROTO_MEM). */
    TCP_PROTO_MEM("Linux tcp_data_queue, tcp_try_rmem_schedule",
            "Data the stack's memory budget (tcp-mem) has no room for, even after pruning: dropped; the sender retransmits."),
    /** Duplicate or old segment, fully before rcv.nxt (SKB_DROP_REASON_TCP_OLD_DATA). */
    TCP_OLD_DATA("RFC 9293 3.10.7.4; Linux tcp_data_queue",
            "Data (or a duplicate ACK) that adds nothing: a retransmission of what arrived already; data is acknowledged at once."),
    /** Dropped on purpose by a fault rule (tcpstack ctl fault, --fault), in either direction. */
    FAULT_INJECTED("tcpstack fault rule (ctl fault, --fault), simulated network",
            "Dropped on purpose by a fault rule, not by TCP."),
    // IPv6 (RFC 8200, RFC 4443, RFC 4861; Linux ip6_rcv_core, exthdrs.c, reassembly.c, ndisc.c)
    /** IPv6 is switched off (--ipv6 0, Linux disable_ipv6: SKB_DROP_REASON_IPV6DISABLED). */
    IPV6_DISABLED("Linux ip6_rcv_core (disable_ipv6)",
            "IPv6 is switched off on this host (--ipv6 0), as with Linux's disable_ipv6."),
    /** Shorter than the fixed header, a multicast or loopback source, a loopback destination, or a multicast one of scope 0 or 1 (SKB_DROP_REASON_IP_INHDR). */
    IPV6_HDR("RFC 8200 3, RFC 4291 2.5.3; Linux ip6_rcv_core",
            "Shorter than the IPv6 header, version not 6, or a source or destination no host may use."),
    /** The payload length runs past the bytes received (SKB_DROP_REASON_PKT_TOO_SMALL, Ip6InTruncatedPkts). */
    IPV6_PAYLOAD_LENGTH("RFC 8200 3; Linux ip6_rcv_core",
            "The payload length runs past the bytes that arrived: a truncated packet."),
    /** An IPv4-mapped source or destination on the wire (RFC 4038 4.2; Linux refuses them in tcp_v6_conn_request). */
    IPV6_V4MAPPED("RFC 4038 4.2; Linux ip6_rcv_core",
            "An IPv4-mapped address on the wire: only a socket API uses those."),
    /** To a multicast group this host has not joined (Linux ip6_mc_input). */
    IPV6_MULTICAST("RFC 4291 2.7; Linux ip6_mc_input",
            "To a multicast group this host has not joined."),
    /** An extension header that runs past the packet, or whose options are malformed (SKB_DROP_REASON_IP_INHDR). */
    IPV6_EXTHDR("RFC 8200 4; Linux ipv6_parse_hopopts, ip6_parse_tlv",
            "An extension header runs past the packet, repeats where it may not, or has malformed options."),
    /** An unknown option whose type says drop (RFC 8200 4.2, SKB_DROP_REASON_UNHANDLED_PROTO); maybe a Parameter Problem. */
    IPV6_UNKNOWN_OPTION("RFC 8200 4.2; Linux ip6_tlvopt_unknown",
            "An unknown option whose type's high bits say discard (and maybe answer with a Parameter Problem)."),
    /** A routing header with segments left, which a host does not process (RFC 8200 4.4; a Parameter Problem), or a disabled type. */
    IPV6_RTHDR("RFC 8200 4.4, RFC 5095; Linux ipv6_rthdr_rcv",
            "A routing header with segments left, or a deprecated type: a host does not forward, a Parameter Problem goes back."),
    /** An unknown next header: Parameter Problem code 1 (RFC 8200 4; SKB_DROP_REASON_IP_NOPROTO). */
    IPV6_NOPROTO("RFC 8200 4; Linux ip6_protocol_deliver_rcu",
            "No handler for the next header: an ICMPv6 Parameter Problem (code 1) goes back."),
    /** A fragment that cannot be reassembled: bad length or offset, overlap, oversize (RFC 8200 4.5, RFC 5722; SKB_DROP_REASON_FRAG_*). */
    IPV6_FRAG("RFC 8200 4.5, RFC 5722; Linux ip6_frag_queue",
            "A fragment that cannot be reassembled: a bad length or offset, an overlap, or too large a datagram."),
    /** A fragment that repeats bytes already queued (SKB_DROP_REASON_DUP_FRAG). */
    IPV6_FRAG_DUP("RFC 8200 4.5; Linux ip6_frag_queue",
            "A fragment that repeats bytes already queued."),
    /** A datagram whose fragments did not all arrive in time (SKB_DROP_REASON_FRAG_REASM_TIMEOUT). */
    IPV6_FRAG_TIMEOUT("RFC 8200 4.5; Linux ip6_frag_expire",
            "A datagram whose fragments did not all arrive within 60 s: the queued ones go."),
    /** No Next Header (59): nothing follows (RFC 8200 4.7). */
    IPV6_NO_NEXT_HEADER("RFC 8200 4.7",
            "No Next Header (59): nothing follows the headers, so nothing is delivered."),
    /** A neighbour discovery message with a hop limit other than 255 (RFC 4861 7.1.1; SKB_DROP_REASON_IPV6_NDISC_HOP_LIMIT). */
    IPV6_NDISC_HOP_LIMIT("RFC 4861 7.1.1; Linux ndisc_rcv",
            "A neighbour discovery message whose hop limit is not 255: it may come from off the link."),
    /** A neighbour discovery message with a code other than 0 (SKB_DROP_REASON_IPV6_NDISC_BAD_CODE). */
    IPV6_NDISC_BAD_CODE("RFC 4861 7.1.1; Linux ndisc_rcv",
            "A neighbour discovery message with a code other than 0."),
    /** Too short, a multicast target, bad options, or a DAD probe not to a solicited-node group (SKB_DROP_REASON_IPV6_NDISC_BAD_OPTIONS). */
    IPV6_NDISC_BAD_OPTIONS("RFC 4861 7.1.1; Linux ndisc_recv_ns",
            "A neighbour solicitation too short, for a multicast target, with bad options, or a DAD probe to the wrong group."),
    /** A neighbour solicitation for an address that is not ours (SKB_DROP_REASON_IPV6_NDISC_NS_OTHERHOST). */
    IPV6_NDISC_NS_OTHERHOST("RFC 4861 7.2.3; Linux ndisc_recv_ns",
            "A neighbour solicitation for an address that is not this host's."),
    /** A router advertisement, solicitation or redirect: a host on a TUN link ignores them. */
    IPV6_NDISC_IGNORED("RFC 4861 6.1.1, 6.2.6; Linux ndisc_router_discovery",
            "A router advertisement, solicitation or redirect: a host on a TUN link has no router to learn.");

    private final String rule;
    private final String why;

    DropReason(String rule, String why) {
        this.rule = rule;
        this.why = why;
    }

    /** Where the rule comes from: the RFC section and the Linux function that drops the same packet. */
    public String rule() {
        return rule;
    }

    /** The rule in one sentence, for traces, ladders and students. */
    public String why() {
        return why;
    }
}
