package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * One shard of the {@link TimeWaitTable}: its records' slots in struct-of-arrays chunks, the
 * chained hash index that finds them, and the timing wheel that expires them. Not thread-safe:
 * callers hold its monitor.
 *
 * <p>Expiry: a record lives in the wheel bucket of its expiry time ({@link #GRAIN_MS} wide). A
 * sweep walks every bucket whose time has come, expires what is due and moves what is not (a
 * record whose timer was restarted or whose substate changed) to the bucket of its new time;
 * that lazy move is how a restart costs no list removal. Times are stored as int milliseconds
 * and compared wrap-safe, so lifetimes must stay under 24 days.
 */
final class TimeWaitShard {
    static final int GRAIN_MS = 16;
    private static final int WHEEL = 4096;
    private static final int CHUNK_BITS = 10;
    private static final int CHUNK = 1 << CHUNK_BITS;
    private static final int INITIAL_BUCKETS = 64;
    /**
     * Old index buckets moved per insert while the index doubles: the old index is gone after an
     * eighth of the inserts to the next doubling, so the two indexes coexist only briefly (4
     * bytes a record more while they do).
     */
    private static final int MOVES_PER_INSERT = 8;

    private Chunk[] chunks = new Chunk[0];
    private int slotsUsed;
    private int freeSlot = -1;
    private int[] buckets = new int[INITIAL_BUCKETS];
    /**
     * While the index doubles: the old buckets, whose chains move to {@link #buckets} a few
     * per insert ({@link #MOVES_PER_INSERT}); those below {@link #moved} have moved. A lookup
     * reads the old chain while it is still there. Doubling at once stopped one insert for
     * the whole shard (tens of ms per shard at a million records, scripts/bench/timewait.sh).
     */
    private int[] draining;
    private int moved;
    private int count;
    private final int[] wheel = new int[WHEEL];
    /** Start of the oldest wheel bucket not yet swept (a multiple of GRAIN_MS). */
    private long sweptUpToMs;
    private final AtomicInteger total;

    TimeWaitShard(long nowMs, AtomicInteger total) {
        this.sweptUpToMs = Math.floorDiv(nowMs, GRAIN_MS) * GRAIN_MS;
        this.total = total;
    }

    /** The struct-of-arrays storage of CHUNK slots. */
    private static final class Chunk {
        final long[] key = new long[CHUNK];
        final int[] sndNxt = new int[CHUNK];
        final int[] rcvNxt = new int[CHUNK];
        final int[] tsRecent = new int[CHUNK];
        final int[] tsRecentStamp = new int[CHUNK];
        final int[] tsOffset = new int[CHUNK];
        final int[] lastOowAck = new int[CHUNK];
        final int[] expires = new int[CHUNK];
        final int[] meta = new int[CHUNK];
        /** Next slot + 1 in the hash chain (or the free list); 0 ends it. */
        final int[] hashNext = new int[CHUNK];
        /** Next slot + 1 in the wheel bucket; 0 ends it. */
        final int[] wheelNext = new int[CHUNK];
        /** IPv6 records' remote address and flow label; null until the chunk holds one. */
        long[] remoteHi;
        long[] remoteLo;
        int[] flowLabel;

        void widen() {
            if (remoteHi == null) {
                remoteHi = new long[CHUNK];
                remoteLo = new long[CHUNK];
                flowLabel = new int[CHUNK];
            }
        }
    }

    private Chunk chunk(int slot) {
        return chunks[slot >>> CHUNK_BITS];
    }

    private static int at(int slot) {
        return slot & (CHUNK - 1);
    }

    int count() {
        return count;
    }

    /**
     * The slot of the 4-tuple of {@code key} with the remote address {@code remoteHi}:{@code
     * remoteLo} (IPv4-mapped for IPv4, whose key holds all of it), or -1.
     */
    int find(long key, long remoteHi, long remoteLo) {
        int[] table = tableOf(key);
        boolean v6 = Demux.isV6(key);
        for (int s = table[bucketOf(key, table)] - 1; s >= 0; s = chunk(s).hashNext[at(s)] - 1) {
            Chunk c = chunk(s);
            if (c.key[at(s)] == key && (!v6 || (c.remoteHi[at(s)] == remoteHi && c.remoteLo[at(s)] == remoteLo))) {
                return s;
            }
        }
        return -1;
    }

    /** The index whose chain holds {@code key}: the old one until its bucket has moved. */
    private int[] tableOf(long key) {
        return draining != null && bucketOf(key, draining) >= moved ? draining : buckets;
    }

    private static int bucketOf(long key, int[] table) {
        return (int) TimeWaitTable.mix(key) & (table.length - 1);
    }

    /**
     * A new record for {@code key} (not present), expiring at {@code expiresMs}; an IPv6 key's
     * remote address and flow label go into the chunk's wide columns.
     */
    int insert(long key, long remoteHi, long remoteLo, int flowLabel, int sndNxt, int rcvNxt, int tsRecent,
            int tsRecentStampMs, int tsOffset, int meta, long nowMs, long expiresMs) {
        if (draining == null && count >= buckets.length) {
            draining = buckets; // a load factor of 1 reached: double, a few chains per insert
            buckets = new int[draining.length * 2];
            moved = 0;
        }
        if (draining != null) {
            moveChains(MOVES_PER_INSERT);
        }
        int slot = allocate();
        Chunk c = chunk(slot);
        int i = at(slot);
        c.key[i] = key;
        if (Demux.isV6(key)) {
            c.widen();
            c.remoteHi[i] = remoteHi;
            c.remoteLo[i] = remoteLo;
            c.flowLabel[i] = flowLabel;
        }
        c.sndNxt[i] = sndNxt;
        c.rcvNxt[i] = rcvNxt;
        c.tsRecent[i] = tsRecent;
        c.tsRecentStamp[i] = tsRecentStampMs;
        c.tsOffset[i] = tsOffset;
        c.lastOowAck[i] = (int) nowMs - 0x4000_0000;
        c.meta[i] = meta;
        c.expires[i] = (int) expiresMs;
        int[] table = tableOf(key);
        int b = bucketOf(key, table);
        c.hashNext[i] = table[b];
        table[b] = slot + 1;
        linkWheel(slot, expiresMs);
        count++;
        total.incrementAndGet();
        return slot;
    }

    private int allocate() {
        if (freeSlot >= 0) {
            int slot = freeSlot;
            freeSlot = chunk(slot).hashNext[at(slot)] - 1;
            return slot;
        }
        if (slotsUsed == chunks.length * CHUNK) {
            Chunk[] grown = new Chunk[chunks.length + 1];
            System.arraycopy(chunks, 0, grown, 0, chunks.length);
            grown[chunks.length] = new Chunk();
            chunks = grown;
        }
        return slotsUsed++;
    }

    /**
     * Moves the chains of the next {@code chains} old buckets into the new index. The new
     * one has twice the buckets, so the doubling ends long before the next one is due.
     */
    private void moveChains(int chains) {
        for (int k = 0; k < chains && moved < draining.length; k++, moved++) {
            for (int s = draining[moved] - 1; s >= 0; ) {
                Chunk c = chunk(s);
                int next = c.hashNext[at(s)] - 1;
                int b = bucketOf(c.key[at(s)], buckets);
                c.hashNext[at(s)] = buckets[b];
                buckets[b] = s + 1;
                s = next;
            }
            draining[moved] = 0;
        }
        if (moved == draining.length) {
            draining = null;
        }
    }

    private void linkWheel(int slot, long expiresMs) {
        int w = (int) Math.floorMod(Math.floorDiv(expiresMs, GRAIN_MS), (long) WHEEL);
        chunk(slot).wheelNext[at(slot)] = wheel[w];
        wheel[w] = slot + 1;
    }

    /**
     * Takes the record out of the index (it is dead from now on); its slot is reused once
     * the sweep reaches it.
     */
    void remove(int slot) {
        Chunk c = chunk(slot);
        long key = c.key[at(slot)];
        int[] table = tableOf(key);
        int b = bucketOf(key, table);
        int prev = -1;
        for (int s = table[b] - 1; s >= 0; prev = s, s = chunk(s).hashNext[at(s)] - 1) {
            if (s == slot) {
                int next = c.hashNext[at(slot)];
                if (prev < 0) {
                    table[b] = next;
                } else {
                    chunk(prev).hashNext[at(prev)] = next;
                }
                break;
            }
        }
        c.key[at(slot)] = 0;
        count--;
        total.decrementAndGet();
    }

    /** Restarts the record's timer: it now expires at {@code expiresMs} (the sweep moves it). */
    void reschedule(int slot, long expiresMs) {
        chunk(slot).expires[at(slot)] = (int) expiresMs;
    }

    /**
     * Expires every record due at {@code nowMs}: removes it and hands its slot to
     * {@code expired} (which may read it) before the slot is reused. Returns how many.
     */
    int sweep(long nowMs, IntConsumer expired) {
        int n = 0;
        long current = Math.floorDiv(nowMs, GRAIN_MS) * GRAIN_MS;
        for (long t = sweptUpToMs; t <= current; t += GRAIN_MS) {
            int w = (int) Math.floorMod(Math.floorDiv(t, GRAIN_MS), (long) WHEEL);
            int s = wheel[w] - 1;
            wheel[w] = 0;
            while (s >= 0) {
                Chunk c = chunk(s);
                int i = at(s);
                int next = c.wheelNext[i] - 1;
                if (c.key[i] == 0) {
                    release(s);
                } else if (c.expires[i] - (int) nowMs <= 0) {
                    expired.accept(s);
                    remove(s);
                    release(s);
                    n++;
                } else {
                    linkWheel(s, nowMs + (c.expires[i] - (int) nowMs));
                }
                s = next;
            }
            if (t - sweptUpToMs > (long) WHEEL * GRAIN_MS) {
                break; // a whole revolution walked: every bucket has been seen
            }
        }
        sweptUpToMs = current;
        return n;
    }

    private void release(int slot) {
        Chunk c = chunk(slot);
        c.key[at(slot)] = 0;
        c.hashNext[at(slot)] = freeSlot + 1;
        freeSlot = slot;
    }

    /**
     * The earliest expiry among live records, in ms, or Long.MAX_VALUE when there are none.
     * Walks the wheel from the current bucket until it finds a record due within that bucket.
     */
    long nextExpiryMs(long nowMs) {
        if (count == 0) {
            return Long.MAX_VALUE;
        }
        long start = Math.floorDiv(nowMs, GRAIN_MS) * GRAIN_MS;
        for (int k = 0; k < WHEEL; k++) {
            long bucketStart = start + (long) k * GRAIN_MS;
            int w = (int) Math.floorMod(Math.floorDiv(bucketStart, GRAIN_MS), (long) WHEEL);
            long best = Long.MAX_VALUE;
            for (int s = wheel[w] - 1; s >= 0; s = chunk(s).wheelNext[at(s)] - 1) {
                Chunk c = chunk(s);
                if (c.key[at(s)] != 0) {
                    long expires = nowMs + (c.expires[at(s)] - (int) nowMs);
                    if (expires < bucketStart + GRAIN_MS) {
                        best = Math.min(best, expires);
                    }
                }
            }
            if (best != Long.MAX_VALUE) {
                return best;
            }
        }
        return start + (long) WHEEL * GRAIN_MS; // only records beyond one revolution: look again then
    }

    /** Calls {@code action} with every live slot. */
    void forEach(IntConsumer action) {
        for (int s = 0; s < slotsUsed; s++) {
            if (chunk(s).key[at(s)] != 0) {
                action.accept(s);
            }
        }
    }

    long key(int slot) {
        return chunk(slot).key[at(slot)];
    }

    /** The remote address's high half (IPv4: 0, as IPv4-mapped). */
    long remoteHi(int slot) {
        long key = key(slot);
        return Demux.isV6(key) ? chunk(slot).remoteHi[at(slot)] : 0;
    }

    /** The remote address's low half (IPv4: the mapped address from the key). */
    long remoteLo(int slot) {
        long key = key(slot);
        return Demux.isV6(key) ? chunk(slot).remoteLo[at(slot)] : IpAddress.v4Lo((int) (key >>> 32));
    }

    /** An IPv6 record's flow label (IPv4: 0). */
    int flowLabel(int slot) {
        return Demux.isV6(key(slot)) ? chunk(slot).flowLabel[at(slot)] : 0;
    }

    int sndNxt(int slot) {
        return chunk(slot).sndNxt[at(slot)];
    }

    int rcvNxt(int slot) {
        return chunk(slot).rcvNxt[at(slot)];
    }

    void rcvNxt(int slot, int value) {
        chunk(slot).rcvNxt[at(slot)] = value;
    }

    /** When the record expires, ms of the stack clock truncated to an int (compare by difference). */
    int expiresMs(int slot) {
        return chunk(slot).expires[at(slot)];
    }

    int tsRecent(int slot) {
        return chunk(slot).tsRecent[at(slot)];
    }

    int tsRecentStampMs(int slot) {
        return chunk(slot).tsRecentStamp[at(slot)];
    }

    void tsRecent(int slot, int tsRecent, int stampMs) {
        chunk(slot).tsRecent[at(slot)] = tsRecent;
        chunk(slot).tsRecentStamp[at(slot)] = stampMs;
    }

    int tsOffset(int slot) {
        return chunk(slot).tsOffset[at(slot)];
    }

    int lastOowAckMs(int slot) {
        return chunk(slot).lastOowAck[at(slot)];
    }

    void lastOowAckMs(int slot, int ms) {
        chunk(slot).lastOowAck[at(slot)] = ms;
    }

    int meta(int slot) {
        return chunk(slot).meta[at(slot)];
    }

    void meta(int slot, int meta) {
        chunk(slot).meta[at(slot)] = meta;
    }
}
