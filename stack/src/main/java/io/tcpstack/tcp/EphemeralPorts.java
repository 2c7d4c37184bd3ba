package io.tcpstack.tcp;

import java.util.random.RandomGenerator;
import java.util.function.IntPredicate;

/**
 * Ephemeral port selection, RFC 6056 algorithm 4 ("double-hash"), as Linux __inet_hash_connect
 * does it: an offset keyed by the destination, a table of 256 perturbation counters, even ports
 * tried first (Linux leaves odd ones to bind()), and the counter advanced past the port used.
 */
final class EphemeralPorts {
    private static final int TABLE_SIZE = 256;

    private final SipHash offsetKey;
    private final SipHash indexKey;
    private final int[] perturb = new int[TABLE_SIZE];
    private volatile int low = 32768;
    private volatile int high = 60999;

    EphemeralPorts(RandomGenerator random) {
        offsetKey = new SipHash(random.nextLong(), random.nextLong());
        indexKey = new SipHash(random.nextLong(), random.nextLong());
    }

    /** ip_local_port_range. */
    void setRange(int low, int high) {
        if (low < 1 || high > 65535 || low > high) {
            throw new IllegalArgumentException("port range must be within 1-65535 with low <= high, got "
                    + low + "-" + high);
        }
        this.low = low;
        this.high = high;
    }

    /** A usable local port for a connection to remoteAddress:remotePort, or -1 (EADDRNOTAVAIL). */
    synchronized int select(int localAddress, int remoteAddress, int remotePort, IntPredicate usable) {
        int lo = low;
        int count = high - lo + 1;
        long dest = ((long) localAddress << 32) | (remoteAddress & 0xffffffffL);
        int offset = (int) Math.floorMod(offsetKey.hash(dest, remotePort), (long) count);
        int index = (int) Math.floorMod(indexKey.hash(dest, remotePort), (long) TABLE_SIZE);
        int base = (offset + perturb[index]) & ~1;
        // even offsets first, then odd ones (Linux: "prefer even ports for connect")
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < count; i += 2) {
                int port = lo + Math.floorMod(base + pass + i, count);
                if (usable.test(port)) {
                    perturb[index] += i + 2;
                    return port;
                }
            }
        }
        return -1;
    }
}
