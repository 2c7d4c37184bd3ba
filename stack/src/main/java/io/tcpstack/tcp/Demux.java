package io.tcpstack.tcp;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The connection table (Linux's established hash): 4-tuple -> {@link Tcb} or {@link
 * TimeWaitRecord}. Lookups take no lock; the entry found is locked afterwards, as in Linux
 * (tcp_v4_rcv looks up, then bh_lock_sock): the gap between the two steps is where the FIN/ACK
 * race lives. The stack has one local address, so the key is remote address, remote port and
 * local port.
 */
final class Demux {
    private final ConcurrentHashMap<Long, Object> table = new ConcurrentHashMap<>();

    static long key(int remoteAddress, int remotePort, int localPort) {
        return ((long) remoteAddress << 32) | ((long) (remotePort & 0xffff) << 16) | (localPort & 0xffff);
    }

    Object get(long key) {
        return table.get(key);
    }

    /** Inserts {@code entry} unless the 4-tuple is taken; returns the entry already there, or null. */
    Object putIfAbsent(long key, Object entry) {
        return table.putIfAbsent(key, entry);
    }

    /** Replaces {@code expected} with {@code replacement} (a Tcb becoming a TIME_WAIT record: inet_twsk_hashdance). */
    boolean replace(long key, Object expected, Object replacement) {
        return table.replace(key, expected, replacement);
    }

    boolean remove(long key, Object expected) {
        return table.remove(key, expected);
    }

    boolean contains(long key) {
        return table.containsKey(key);
    }

    int size() {
        return table.size();
    }

    void forEach(BiConsumer<Long, Object> action) {
        table.forEach(action);
    }
}
