package io.tcpstack.tcp;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compact storage for TIME_WAIT and orphaned FIN_WAIT_2 records: no object per record and no
 * timer per record. A record is a slot in struct-of-arrays chunks (48 bytes: the 4-tuple key and
 * ten ints), found through a chained hash index (4 to 8 bytes per record) and expired by a
 * per-shard timing wheel whose buckets are lists threaded through the slots. Linux's
 * {@code tw_sock_TCP} costs 248 bytes on the research host (stack/BEHAVIOURS.md 4). An IPv6 record's
 * key holds only a hash of the remote address ({@link Demux#key}): a chunk that holds one also
 * has three more columns, the 128-bit address and the connection's flow label (20 bytes a slot;
 * a table of IPv4 records never allocates them).
 *
 * <p>The table is split into {@link #SHARDS} shards by key hash, each a {@link TimeWaitShard}
 * (its slots, index and wheel) guarded by its own monitor, which callers hold while they read or
 * change a record (see {@link #shard}). This class picks the shard and packs a record's meta bits.
 */
final class TimeWaitTable {
    static final int SHARDS = 16;

    /** meta bits: substate, timestamps, our window scale, tx queue, our window (scaled). */
    static final int META_TIME_WAIT = 1;
    static final int META_TS_OK = 2;
    private static final int META_WSCALE_SHIFT = 2;
    private static final int META_QUEUE_SHIFT = 8;
    private static final int META_WINDOW_SHIFT = 16;

    private final TimeWaitShard[] shards = new TimeWaitShard[SHARDS];
    private final AtomicInteger total = new AtomicInteger();

    TimeWaitTable(long nowMs) {
        for (int i = 0; i < SHARDS; i++) {
            shards[i] = new TimeWaitShard(nowMs, total);
        }
    }

    /** Records in all shards (no lock taken). */
    int count() {
        return total.get();
    }

    static long mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    /** The shard that holds {@code key}; lock it (synchronized) around every use. */
    TimeWaitShard shard(long key) {
        return shards[(int) (mix(key) >>> 60) & (SHARDS - 1)];
    }

    TimeWaitShard shard(int index) {
        return shards[index];
    }

    static int meta(boolean timeWait, boolean tsOk, int rcvWscale, int queue, int rcvWnd) {
        int scaled = Math.min(rcvWnd >>> rcvWscale, 0xffff);
        return (timeWait ? META_TIME_WAIT : 0) | (tsOk ? META_TS_OK : 0) | (rcvWscale << META_WSCALE_SHIFT)
                | ((queue & 0xff) << META_QUEUE_SHIFT) | (scaled << META_WINDOW_SHIFT);
    }

    static boolean isTimeWait(int meta) {
        return (meta & META_TIME_WAIT) != 0;
    }

    static boolean tsOk(int meta) {
        return (meta & META_TS_OK) != 0;
    }

    static int rcvWscale(int meta) {
        return (meta >>> META_WSCALE_SHIFT) & 0xf;
    }

    static int queue(int meta) {
        return (meta >>> META_QUEUE_SHIFT) & 0xff;
    }

    /** The window we offered, in bytes. */
    static int rcvWnd(int meta) {
        return (meta >>> META_WINDOW_SHIFT) << rcvWscale(meta);
    }

}
