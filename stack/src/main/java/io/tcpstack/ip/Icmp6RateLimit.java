package io.tcpstack.ip;

import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.Clock;
import io.tcpstack.wire.IpAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Linux's limits on the ICMPv6 errors a host sends (net/ipv6/icmp.c icmpv6_xrlim_allow, with
 * icmpv6_mask_allow and icmp_global_allow): for the types in net.ipv6.icmp.ratemask (0-1,3-127:
 * every error but Packet Too Big), one token bucket per destination (inet_peer_xrlim_allow: a
 * token per interval, at most XRLIM_BURST_FACTOR = 6 saved, a new peer starting full) and one for
 * the host (icmp_msgs_per_sec 1000, icmp_msgs_burst 50). The interval is net.ipv6.icmp.ratelimit
 * shifted right by (128 - prefix length) / 32 of the route to the destination ("more bandwidth to
 * wider prefixes"): every peer of the stack is on the link's /64, so a quarter of it.
 */
final class Icmp6RateLimit {
    /** XRLIM_BURST_FACTOR. */
    private static final int BURST_FACTOR = 6;
    private static final int MSGS_PER_SEC = 1000;
    private static final int MSGS_BURST = 50;
    /** The prefix length of the route to every peer: the link's /64 (kernel side 2001:2::1/64). */
    private static final int ROUTE_PREFIX = 64;
    /** Destinations remembered (Linux's inet_peer pool is bounded and garbage-collected too). */
    private static final int MAX_PEERS = 4096;

    /** What {@link #check} decided. */
    enum Verdict {
        ALLOW,
        HOST,
        GLOBAL
    }

    private final TcpSettings settings;
    private final Clock clock;
    private final Map<IpAddress, long[]> peers = new HashMap<>();
    private long globalCredit = MSGS_BURST;
    private long globalStampMs = Long.MIN_VALUE;

    Icmp6RateLimit(TcpSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /** net.ipv6.icmp.ratemask's default: 0-1,3-127. */
    static boolean rateLimited(int type) {
        return type <= 127 && type != Icmp6.TYPE_PACKET_TOO_BIG;
    }

    /** Whether an ICMPv6 error of {@code type} to {@code destination} may go now. */
    synchronized Verdict check(int type, IpAddress destination) {
        if (!rateLimited(type)) {
            return Verdict.ALLOW;
        }
        long now = clock.millis();
        if (globalStampMs != Long.MIN_VALUE) {
            globalCredit = Math.min(MSGS_BURST, globalCredit + (now - globalStampMs) * MSGS_PER_SEC / 1000);
        }
        globalStampMs = now;
        if (globalCredit <= 0) {
            return Verdict.GLOBAL;
        }
        long timeout = settings.icmp6RatelimitMs >> ((128 - ROUTE_PREFIX) >> 5);
        if (timeout > 0) {
            if (peers.size() >= MAX_PEERS && !peers.containsKey(destination)) {
                peers.clear();
            }
            // inet_peer_xrlim_allow; a new peer's rate_last is far back, so its bucket starts full
            long[] peer = peers.computeIfAbsent(destination, d -> new long[] {0, now - BURST_FACTOR * timeout});
            long tokens = Math.min(peer[0] + now - peer[1], BURST_FACTOR * timeout);
            peer[1] = now;
            if (tokens < timeout) {
                peer[0] = tokens;
                return Verdict.HOST;
            }
            peer[0] = tokens - timeout;
        }
        globalCredit--;
        return Verdict.ALLOW;
    }
}
