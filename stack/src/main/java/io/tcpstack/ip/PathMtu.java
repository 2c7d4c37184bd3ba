package io.tcpstack.ip;

import io.tcpstack.time.Clock;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv6View;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The path MTU per IPv6 destination (RFC 8201), learnt from Packet Too Big messages: Linux keeps
 * it as a route exception that expires after net.ipv6.route.mtu_expires (600 s), and never below
 * the IPv6 minimum of 1280 (rt6_do_update_pmtu). A destination without an entry has the link's
 * MTU. Thread-safe.
 */
final class PathMtu {
    /** net.ipv6.route.mtu_expires. */
    static final long EXPIRES_MS = 600_000;
    /** Destinations remembered; past it the expired entries go, then all (Linux bounds its exception buckets too). */
    private static final int MAX_ENTRIES = 4096;

    private record Entry(int mtu, long expiresMs) {
    }

    private final Clock clock;
    private final ConcurrentHashMap<IpAddress, Entry> entries = new ConcurrentHashMap<>();

    PathMtu(Clock clock) {
        this.clock = clock;
    }

    /** The path MTU to {@code destination} over a link of {@code linkMtu}. */
    int mtu(IpAddress destination, int linkMtu) {
        Entry e = entries.isEmpty() ? null : entries.get(destination);
        if (e == null) {
            return linkMtu;
        }
        if (clock.millis() - e.expiresMs >= 0) {
            entries.remove(destination, e);
            return linkMtu;
        }
        return Math.min(e.mtu, linkMtu);
    }

    /**
     * A Packet Too Big said {@code mtu}: the path to {@code destination} shrinks to it (at least
     * 1280), never grows. Returns the path MTU now.
     */
    int reduce(IpAddress destination, int mtu, int linkMtu) {
        int current = mtu(destination, linkMtu);
        int reduced = Math.max(mtu, Ipv6View.MIN_MTU);
        if (reduced >= current) {
            return current;
        }
        long now = clock.millis();
        if (entries.size() >= MAX_ENTRIES) {
            entries.values().removeIf(e -> now - e.expiresMs >= 0);
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
        }
        entries.put(destination, new Entry(reduced, now + EXPIRES_MS));
        return reduced;
    }
}
