package io.tcpstack.wire;

/** IANA protocol numbers the stack knows. */
public final class IpProtocol {
    private IpProtocol() {}

    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;
}
