package io.tcpstack.wire;

/** IANA protocol numbers the stack knows. */
public final class IpProtocol {
    private IpProtocol() {}

    /** IPv6 Hop-by-Hop Options header (RFC 8200 4.3). */
    public static final int HOPOPTS = 0;
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;
    /** IPv6 Routing header (RFC 8200 4.4). */
    public static final int ROUTING = 43;
    /** IPv6 Fragment header (RFC 8200 4.5). */
    public static final int FRAGMENT = 44;
    public static final int ICMPV6 = 58;
    /** IPv6 No Next Header (RFC 8200 4.7). */
    public static final int NONE = 59;
    /** IPv6 Destination Options header (RFC 8200 4.6). */
    public static final int DSTOPTS = 60;
}
