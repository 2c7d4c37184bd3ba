package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * tw_recycle's memory (Linux < 4.12, tcp_metrics tcpm_ts / tcpm_ts_stamp): per peer address,
 * the last TSval seen from it when one of its connections entered TIME_WAIT. The whole peer
 * address shares one entry, which is what broke clients behind a NAT: their timestamp clocks
 * are unrelated (and random per connection since Linux 4.10).
 */
final class PeerTimestamps {
    private record Stamp(int tsVal, long stampMs) {
    }

    private final ConcurrentHashMap<IpAddress, Stamp> peers = new ConcurrentHashMap<>();

    /**
     * Linux tcp_remember_stamp: keep the newer TSval, or replace an entry older than
     * TCP_PAWS_MSL by a newer stamp.
     */
    void remember(IpAddress peer, int tsVal, long stampMs) {
        peers.merge(peer, new Stamp(tsVal, stampMs), (old, now) ->
                old.tsVal() - now.tsVal() <= 0 || (now.stampMs() - old.stampMs() >= 60_000) ? now : old);
    }

    /** Linux tcp_peer_is_proven(paws_check): false means "drop this SYN". */
    boolean rejects(IpAddress peer, boolean hasTimestamp, int tsVal, long nowMs, long pawsMslMs, int pawsWindow) {
        Stamp s = peers.get(peer);
        return s != null && nowMs - s.stampMs() < pawsMslMs && (!hasTimestamp || s.tsVal() - tsVal > pawsWindow);
    }

}
