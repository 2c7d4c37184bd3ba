package io.tcpstack.tcp;

import io.tcpstack.time.Clock;
import java.util.random.RandomGenerator;

/**
 * Initial sequence numbers (RFC 6528: ISN = M + F(4-tuple, secret), M a clock ticking every 64 ns
 * as in Linux secure_tcp_seq) and timestamp offsets (RFC 7323 5.4; Linux >= 4.10
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

    private static long addresses(int localAddress, int remoteAddress) {
        return ((long) localAddress << 32) | (remoteAddress & 0xffffffffL);
    }

    int isn(int localAddress, int localPort, int remoteAddress, int remotePort) {
        long f = isnKey.hash(addresses(localAddress, remoteAddress), tuple(localPort, remotePort));
        return (int) f + (int) (clock.nanos() >>> 6);
    }

    int tsOffset(int localAddress, int remoteAddress, int localPort, int remotePort) {
        return (int) tsKey.hash(addresses(localAddress, remoteAddress), tuple(localPort, remotePort));
    }

    int tsOffsetPerHost(int localAddress, int remoteAddress) {
        return (int) tsKey.hash(addresses(localAddress, remoteAddress), 0);
    }
}
