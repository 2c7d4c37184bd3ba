package io.tcpstack.tcp;

import io.tcpstack.time.Clock;
import io.tcpstack.wire.IpAddress;
import java.util.random.RandomGenerator;

/**
 * Initial sequence numbers (RFC 6528: ISN = M + F(4-tuple, secret), M a clock ticking every 64 ns
 * as in Linux secure_tcp_seq and secure_tcpv6_seq) and timestamp offsets (RFC 7323 5.4; Linux >= 4.10
 * secure_tcp_ts_off, per connection; the 4.11-era per-host variant for old profiles). Each
 * secret is drawn once.
 */
final class IsnGenerator {
    private final Clock clock;
    private final SipHash isnKey;
    private final SipHash tsKey;

    IsnGenerator(Clock clock, RandomGenerator random) {
        this.clock = clock;
        this.isnKey = new SipHash(random.nextLong(), random.nextLong());
        this.tsKey = new SipHash(random.nextLong(), random.nextLong());
    }

    private static long tuple(int localPort, int remotePort) {
        return ((long) (localPort & 0xffff) << 16) | (remotePort & 0xffff);
    }

    /**
     * The keyed hash of the two addresses and {@code ports}: for IPv4 of the two 32-bit addresses
     * (Linux secure_tcp_seq), for IPv6 of all 256 bits (secure_tcpv6_seq).
     */
    private static long hash(SipHash key, IpAddress local, IpAddress remote, long ports) {
        if (local.isV4()) {
            return key.hash(((long) local.v4() << 32) | (remote.v4() & 0xffffffffL), ports);
        }
        return key.hash(local.hi(), local.lo(), remote.hi(), remote.lo(), ports);
    }

    int isn(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
        long f = hash(isnKey, localAddress, remoteAddress, tuple(localPort, remotePort));
        return (int) f + (int) (clock.nanos() >>> 6);
    }

    int tsOffset(IpAddress localAddress, IpAddress remoteAddress, int localPort, int remotePort) {
        return (int) hash(tsKey, localAddress, remoteAddress, tuple(localPort, remotePort));
    }

    int tsOffsetPerHost(IpAddress localAddress, IpAddress remoteAddress) {
        return (int) hash(tsKey, localAddress, remoteAddress, 0);
    }
}
