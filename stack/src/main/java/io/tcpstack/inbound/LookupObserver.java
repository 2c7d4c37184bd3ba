package io.tcpstack.inbound;

/**
 * Runs between looking a segment's Tcb up and locking it (Linux: between the established-hash
 * lookup in tcp_v4_rcv and bh_lock_sock). For deterministic interleaving tests.
 */
@FunctionalInterface
public interface LookupObserver {
    void afterLookup(int queue, long key);
}
