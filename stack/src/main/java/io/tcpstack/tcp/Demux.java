package io.tcpstack.tcp;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The connection table (Linux's established hash): 4-tuple -> {@link Tcb}; the TIME_WAIT and
 * FIN_WAIT_2 records that replace closed ones live in the {@link TimeWaitTable}, looked up
 * after this one (a record is added there before its Tcb leaves here). Lookups take no lock; the entry found is locked afterwards, as in Linux
 * (tcp_v4_rcv looks up, then bh_lock_sock): the gap between the two steps is where the FIN/ACK
 * race lives. The stack has one local address, so the key is remote address, remote port and
 * local port.
 */
final class Demux {
    private final ConcurrentHashMap<Long, Tcb> table = new ConcurrentHashMap<>();

    static long key(int remoteAddress, int remotePort, int localPort) {
        return ((long) remoteAddress << 32) | ((long) (remotePort & 0xffff) << 16) | (localPort & 0xffff);
    }

    /**
     * The entry of {@code key}, without boxing it: every inbound segment looks up, and a Long per
     * lookup was most of what the receive path allocated (JMH SegmentPathBench). The lookup key
     * is a per-thread {@link Probe} that hashes and compares like the Long keys of the table.
     */
    Tcb get(long key) {
        Probe probe = PROBE.get();
        probe.key = key;
        return table.get(probe);
    }

    /**
     * A lookup key equal to the stored {@code Long} of the same value: ConcurrentHashMap calls
     * {@code probe.equals(storedKey)} and {@code probe.hashCode()}, never the reverse. Only for
     * {@link #get}; the table holds Longs.
     */
    private static final class Probe {
        long key;

        @Override
        public int hashCode() {
            return Long.hashCode(key);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Long stored && stored == key;
        }
    }

    private static final FastThreadLocal<Probe> PROBE = new FastThreadLocal<>() {
        @Override
        protected Probe initialValue() {
            return new Probe();
        }
    };

    /** Inserts {@code entry} unless the 4-tuple is taken; returns the entry already there, or null. */
    Tcb putIfAbsent(long key, Tcb entry) {
        return table.putIfAbsent(key, entry);
    }

    boolean remove(long key, Tcb expected) {
        return table.remove(key, expected);
    }

    boolean contains(long key) {
        return table.containsKey(key);
    }

    int size() {
        return table.size();
    }

    void forEach(BiConsumer<Long, Tcb> action) {
        table.forEach(action);
    }
}
