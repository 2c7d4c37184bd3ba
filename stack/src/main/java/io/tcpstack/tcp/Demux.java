package io.tcpstack.tcp;

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

    Tcb get(long key) {
        return table.get(key);
    }

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
