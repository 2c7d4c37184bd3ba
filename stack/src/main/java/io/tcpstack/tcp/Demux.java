package io.tcpstack.tcp;

import io.netty.util.concurrent.FastThreadLocal;
import io.tcpstack.wire.IpAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The connection table (Linux's established hash): 4-tuple -> {@link Tcb}; the TIME_WAIT and
 * FIN_WAIT_2 records that replace closed ones live in the {@link TimeWaitTable}, looked up
 * after this one (a record is added there before its Tcb leaves here). Lookups take no lock; the entry found is locked afterwards, as in Linux
 * (tcp_v4_rcv looks up, then bh_lock_sock): the gap between the two steps is where the FIN/ACK
 * race lives. The stack has one local address per family, so the key is remote address, remote
 * port and local port.
 *
 * <p>A connection's key is a long ({@link #key}): for IPv4 the exact 4-tuple, remote address in
 * the high 32 bits; for IPv6 the ports in the low 32 bits and, above them, a hash of the 128-bit
 * remote address tagged with 0xe in its top nibble, where no IPv4 key can be (a remote IPv4
 * address is never multicast, 224.0.0.0/4). An IPv4 connection is stored under its key as a
 * Long; an IPv6 one under a {@link Key6} that holds the whole address, so lookups are exact for
 * both families (Linux INET_MATCH and INET6_MATCH).
 */
final class Demux {
    private static final int V6_TAG = 0xe000_0000;
    private static final int V6_HASH_MASK = 0x0fff_ffff;

    private final ConcurrentHashMap<Object, Tcb> table = new ConcurrentHashMap<>();

    static long key(int remoteAddress, int remotePort, int localPort) {
        return ((long) remoteAddress << 32) | ((long) (remotePort & 0xffff) << 16) | (localPort & 0xffff);
    }

    /** The key of a 4-tuple of either family (the remote address as two longs, IPv4-mapped for IPv4). */
    static long key(long remoteHi, long remoteLo, int remotePort, int localPort) {
        if (IpAddress.isV4(remoteHi, remoteLo)) {
            return key((int) remoteLo, remotePort, localPort);
        }
        long h = (remoteHi * 0x9E3779B97F4A7C15L) ^ (remoteLo * 0xC2B2AE3D27D4EB4FL);
        int tagged = V6_TAG | ((int) (h ^ (h >>> 32)) & V6_HASH_MASK);
        return key(tagged, remotePort, localPort);
    }

    static long key(IpAddress remote, int remotePort, int localPort) {
        return key(remote.hi(), remote.lo(), remotePort, localPort);
    }

    /** Whether {@code key} is an IPv6 connection's (its remote address is then not in the key). */
    static boolean isV6(long key) {
        return (key >>> 60) == 0xe;
    }

    /** An IPv6 connection's table key: the whole remote address and the ports. */
    private record Key6(long hi, long lo, long key) {
        @Override
        public int hashCode() {
            return Long.hashCode(key);
        }
    }

    /**
     * The entry of the 4-tuple, without allocating: every inbound segment looks up, and a key
     * object per lookup was most of what the receive path allocated (JMH SegmentPathBench). The
     * lookup key is a per-thread {@link Probe} that hashes and compares like the stored keys.
     */
    Tcb get(long key, long remoteHi, long remoteLo) {
        Probe probe = PROBE.get();
        probe.key = key;
        probe.hi = remoteHi;
        probe.lo = remoteLo;
        return table.get(probe);
    }

    /**
     * A lookup key equal to the stored Long (IPv4) or {@link Key6} (IPv6) of the same 4-tuple:
     * ConcurrentHashMap calls {@code probe.equals(storedKey)} and {@code probe.hashCode()}, never
     * the reverse. Only for {@link #get}.
     */
    private static final class Probe {
        long key;
        long hi;
        long lo;

        @Override
        public int hashCode() {
            return Long.hashCode(key);
        }

        @Override
        public boolean equals(Object other) {
            if (other instanceof Long stored) {
                return stored == key;
            }
            return other instanceof Key6 k && k.key == key && k.hi == hi && k.lo == lo;
        }
    }

    private static final FastThreadLocal<Probe> PROBE = new FastThreadLocal<>() {
        @Override
        protected Probe initialValue() {
            return new Probe();
        }
    };

    private static Object tableKey(Tcb tcb) {
        return isV6(tcb.key) ? new Key6(tcb.remoteAddress.hi(), tcb.remoteAddress.lo(), tcb.key) : (Object) tcb.key;
    }

    /** Inserts {@code tcb} unless its 4-tuple is taken; returns the entry already there, or null. */
    Tcb putIfAbsent(Tcb tcb) {
        return table.putIfAbsent(tableKey(tcb), tcb);
    }

    boolean remove(Tcb expected) {
        return table.remove(tableKey(expected), expected);
    }

    boolean contains(long key, long remoteHi, long remoteLo) {
        return get(key, remoteHi, remoteLo) != null;
    }

    int size() {
        return table.size();
    }

    void forEach(BiConsumer<Object, Tcb> action) {
        table.forEach(action);
    }
}
