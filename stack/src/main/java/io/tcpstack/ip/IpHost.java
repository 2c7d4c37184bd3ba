package io.tcpstack.ip;

import io.tcpstack.wire.IpAddress;

/**
 * What IP needs to know of the host it runs for: its address of each family (null where it has
 * none) and the TTL / hop limit of the packets it originates (Linux net.ipv4.ip_default_ttl and
 * net.ipv6.conf.all.hop_limit, 64 by default).
 */
public record IpHost(IpAddress address4, IpAddress address6, int defaultTtl) {

    /** The IPv4 address as a big-endian int, 0 when there is none. */
    public int v4() {
        return address4 == null ? 0 : address4.v4();
    }
}
