package io.tcpstack.ip;

import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Linux's limits on the ICMP errors a host sends (net/ipv4/icmp.c, icmpv4_xrlim_allow): for the
 * types in icmp_ratemask, a token bucket per destination (inet_peer_xrlim_allow: a token per
 * icmp_ratelimit, at most XRLIM_BURST_FACTOR = 6 saved, a new peer starting full) and one for
 * the host (icmp_msgs_per_sec 1000, icmp_msgs_burst 50). Measured on Linux 6.18: six port
 * unreachables at once, the seventh suppressed, the next a second later.
 */
final class IcmpRateLimit {
    /** XRLIM_BURST_FACTOR. */
    private static final int BURST_FACTOR = 6;
    private static final int MSGS_PER_SEC = 1000;
    private static final int MSGS_BURST = 50;
    /** Destinations remembered (Linux's inet_peer pool is bounded and garbage-collected too). */
    private static final int MAX_PEERS = 4096;

    private final TcpSettings settings;
    private final Clock clock;
    private final Map<Integer, long[]> peers = new HashMap<>();
    private long globalCredit = MSGS_BURST;
    private long globalStampMs = Long.MIN_VALUE;

    IcmpRateLimit(TcpSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /** Which limit stops an ICMP error of {@code type} to {@code destination} now: null if it may go. */
    synchronized String check(int type, int destination) {
        if (type > 31 || (settings.icmpRatemask & (1 << type)) == 0) {
            return null;
        }
        long now = clock.millis();
        // icmp_global_allow: credit refills at msgs_per_sec, capped at the burst
        if (globalStampMs != Long.MIN_VALUE) {
            globalCredit = Math.min(MSGS_BURST, globalCredit + (now - globalStampMs) * MSGS_PER_SEC / 1000);
        }
        globalStampMs = now;
        if (globalCredit <= 0) {
            return "global";
        }
        long timeout = settings.icmpRatelimitMs;
        if (timeout == 0) {
            globalCredit--;
            return null;
        }
        if (peers.size() >= MAX_PEERS && !peers.containsKey(destination)) {
            peers.clear();
        }
        // inet_peer_xrlim_allow; a new peer's rate_last is 60 s back, so its bucket starts full
        long[] peer = peers.computeIfAbsent(destination, d -> new long[] {0, now - 60_000});
        long tokens = Math.min(peer[0] + now - peer[1], BURST_FACTOR * timeout);
        peer[1] = now;
        if (tokens < timeout) {
            peer[0] = tokens;
            return "host";
        }
        peer[0] = tokens - timeout;
        globalCredit--;
        return null;
    }
}
