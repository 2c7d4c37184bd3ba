package io.tcpstack.stats;

/**
 * Why an inbound packet was dropped. Every drop in the stack names one of these; each is counted
 * ({@link StackStats#drops()}) and traced. Names follow Linux's skb drop reasons
 * (include/net/dropreason-core.h) where one exists.
 */
public enum DropReason {
    /** Shorter than a minimal IPv4 header (SKB_DROP_REASON_PKT_TOO_SMALL). */
    IP_TOO_SHORT,
    /** Version field is not 4 (SKB_DROP_REASON_IP_INHDR). */
    IP_VERSION,
    /** IHL below 5 words or past the packet (SKB_DROP_REASON_IP_INHDR). */
    IP_IHL,
    /** Total length below the header or beyond the bytes received (SKB_DROP_REASON_PKT_TOO_SMALL). */
    IP_TOTAL_LENGTH,
    /** Header checksum does not verify (SKB_DROP_REASON_IP_CSUM). */
    IP_CSUM,
    /** A fragment: reassembly is not implemented, so fragments are counted and dropped. */
    IP_FRAGMENT,
    /** Not addressed to this host (SKB_DROP_REASON_OTHERHOST). */
    IP_OTHERHOST,
    /** TTL 0 on arrival: no host should have sent it (RFC 1122 3.2.1.7). */
    IP_TTL,
    /** Source address that cannot be a host: broadcast, multicast, 0 or loopback (SKB_DROP_REASON_IP_INVALID_SOURCE). */
    IP_INVALID_SOURCE,
    /** No handler for the protocol; ICMP protocol unreachable sent (SKB_DROP_REASON_IP_NOPROTO). */
    IP_NOPROTO,
    /** IPv6 or other non-IPv4 packets from the link (the kernel sends router solicitations into a fresh TUN). */
    NOT_IPV4,
    /** ICMP message shorter than its header or with a bad checksum (SKB_DROP_REASON_ICMP_CSUM). */
    ICMP_CSUM,
    /** ICMP type the stack does not handle. */
    ICMP_UNHANDLED,
    /** UDP datagram shorter than its header or than its length field says (SKB_DROP_REASON_PKT_TOO_SMALL). */
    UDP_BAD_LENGTH,
    /** UDP checksum does not verify (SKB_DROP_REASON_UDP_CSUM). */
    UDP_CSUM,
    /** UDP datagram for a port without a socket: ICMP port unreachable (SKB_DROP_REASON_NO_SOCKET). */
    UDP_NO_SOCKET,
    /** TCP segment shorter than its header (SKB_DROP_REASON_PKT_TOO_SMALL). */
    TCP_TOO_SHORT,
    /** TCP data offset below 5 or past the segment (SKB_DROP_REASON_TCP_INVALID_DOFF... Linux: TCP_HDR). */
    TCP_DATA_OFFSET,
    /** TCP checksum does not verify (SKB_DROP_REASON_TCP_CSUM). */
    TCP_CSUM,
    /** TCP segment for no socket (SKB_DROP_REASON_NO_SOCKET); answered with RST unless it is one. */
    TCP_NO_SOCKET,
    /** Segment not acceptable for the receive window (SKB_DROP_REASON_TCP_INVALID_SEQUENCE). */
    TCP_INVALID_SEQUENCE,
    /** Segment wholly before the window we last advertised: an old duplicate (SKB_DROP_REASON_TCP_OLD_SEQUENCE). */
    TCP_OLD_SEQUENCE,
    /** ACK outside what was sent (SKB_DROP_REASON_TCP_INVALID_ACK_SEQUENCE). */
    TCP_INVALID_ACK_SEQUENCE,
    /** Timestamp older than ts_recent (SKB_DROP_REASON_TCP_RFC7323_PAWS). */
    TCP_RFC7323_PAWS,
    /** RST not exactly at rcv.nxt (SKB_DROP_REASON_TCP_RESET, RFC 5961 3.2: challenge ACK sent). */
    TCP_RESET_CHALLENGE,
    /** SYN in a synchronized state (RFC 5961 4: challenge ACK sent). */
    TCP_SYN_CHALLENGE,
    /** Segment with neither ACK nor RST/SYN in a synchronized state (SKB_DROP_REASON_TCP_FLAGS). */
    TCP_FLAGS,
    /** Segment processed against a Tcb that had turned CLOSED after lookup (Linux drops with reason TCP_CLOSE). */
    TCP_CLOSE,
    /** Listener's accept or SYN queue full (SKB_DROP_REASON_TCP_LISTEN_OVERFLOW... LISTENOVERFLOWS). */
    TCP_LISTEN_OVERFLOW,
    /** Out-of-order segment beyond the bounded reassembly (SKB_DROP_REASON_TCP_OFOMERGE/OFO_DROP). */
    TCP_OFO_DROP,
    /** Data beyond the receive window or with the receive queue full (SKB_DROP_REASON_TCP_ZEROWINDOW). */
    TCP_ZEROWINDOW,
    /** Duplicate or old segment, fully before rcv.nxt (SKB_DROP_REASON_TCP_OLD_DATA). */
    TCP_OLD_DATA,
    /** Silently dropped by an impairment layer or a fault-injection knob. */
    IMPAIRMENT;
}
