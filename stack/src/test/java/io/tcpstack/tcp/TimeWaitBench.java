package io.tcpstack.tcp;

import io.tcpstack.wire.IpAddress;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * TIME_WAIT at scale (issue 6, scripts/bench/timewait.sh): a busy HTTP/1.0 server's 1.4 million
 * TIME_WAIT records in the compact table. Inserts them at the rate that keeps 1.4 M alive with a
 * 60 s TIME_WAIT (23,333/s, on simulated time, one tick per ms), keeps that steady state for
 * 60 s while they expire and new ones arrive, then lets the rest expire. Prints heap bytes per
 * record (measured after a GC), insert and lookup cost, and the time each tick's sweep takes.
 * With {@code --ipv6} the records are IPv6 connections' (2001:2::/64 clients), whose chunks hold
 * the 128-bit address and the flow label besides the key.
 */
public final class TimeWaitBench {
    private static final int RECORDS = 1_400_000;
    private static final long LIFETIME_MS = 60_000;
    /** Simulated time the JIT needs to compile the insert path: its slowest tick is not reported. */
    private static final long WARMUP_MS = 1_000;

    private TimeWaitBench() {
    }

    /** IPv6 records instead of IPv4 ones. */
    private static boolean ipv6;

    /** The client address of record {@code i}: 2^16 client ports per client address, server port 80. */
    private static long remoteHi(long i) {
        return ipv6 ? 0x2001_0002_0000_0000L : 0;
    }

    private static long remoteLo(long i) {
        return ipv6 ? 0x1000 + (i >>> 16) : IpAddress.v4Lo(0xc6120000 + (int) (i >>> 16));
    }

    private static long key(long i) {
        return Demux.key(remoteHi(i), remoteLo(i), (int) (i & 0xffff), 80);
    }

    private static void insert(TimeWaitTable table, long i, int seq, long now, int meta) {
        long k = key(i);
        TimeWaitShard s = table.shard(k);
        synchronized (s) {
            s.insert(k, remoteHi(i), remoteLo(i), (int) i & 0xfffff, seq, seq, 1, (int) now, 0, meta, now,
                    now + LIFETIME_MS);
        }
    }

    /** Collections so far, all collectors. */
    private static long collections() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(gc -> Math.max(gc.getCollectionCount(), 0)).sum();
    }

    private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    public static void main(String[] args) throws InterruptedException {
        ipv6 = Arrays.asList(args).contains("--ipv6");
        String[] numbers = Arrays.stream(args).filter(a -> !a.startsWith("--")).toArray(String[]::new);
        int records = numbers.length > 0 ? Integer.parseInt(numbers[0]) : RECORDS;
        double perMs = (double) records / LIFETIME_MS;
        long[] tickNanos = new long[(int) (3 * LIFETIME_MS) + 2];
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = usedHeapAfterGc(memory);
        TimeWaitTable table = new TimeWaitTable(0);
        int meta = TimeWaitTable.meta(true, true, 7, 0, 65535 << 7);
        long inserted = 0;
        long insertNanos = 0;
        long insertMaxNanos = 0;
        long insertMaxAtMs = 0;
        long insertMaxGcs = 0;
        long gcsBefore = collections();
        int ticks = 0;
        long expired = 0;
        long peak = 0;
        long bytesPerRecord = 0;
        // phase 1 (0-60 s) fills, phase 2 (60-120 s) is the steady state, phase 3 (120-181 s) drains
        for (long now = 1; now <= 3 * LIFETIME_MS + 1; now++) {
            long target = now <= 2 * LIFETIME_MS ? (long) (now * perMs) : inserted;
            long t0 = System.nanoTime();
            for (; inserted < target; inserted++) {
                insert(table, inserted, (int) inserted, now, meta);
            }
            long t1 = System.nanoTime();
            insertNanos += t1 - t0;
            if (now > WARMUP_MS && t1 - t0 > insertMaxNanos) {
                insertMaxNanos = t1 - t0;
                insertMaxAtMs = now;
                insertMaxGcs = collections() - gcsBefore;
            }
            gcsBefore = collections();
            long sweptHere = 0;
            for (int i = 0; i < TimeWaitTable.SHARDS; i++) {
                TimeWaitShard s = table.shard(i);
                synchronized (s) {
                    sweptHere += s.sweep(now, slot -> { });
                }
            }
            tickNanos[ticks++] = System.nanoTime() - t1;
            expired += sweptHere;
            long live = inserted - expired;
            if (now == LIFETIME_MS) {
                peak = live;
                bytesPerRecord = (usedHeapAfterGc(memory) - before) / live;
            }
        }
        long gcMillis = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(gc -> Math.max(gc.getCollectionTime(), 0)).sum();
        long lookupNanos = lookups(table, inserted);
        long[] sorted = Arrays.copyOf(tickNanos, ticks);
        Arrays.sort(sorted);
        System.out.printf("timewait-bench: %s records inserted=%d peak live=%d expired=%d left=%d%n",
                ipv6 ? "IPv6" : "IPv4", inserted, peak, expired, inserted - expired);
        System.out.printf("timewait-bench: heap bytes per record=%d (measured after GC at the peak; Linux tw_sock_TCP: 248)%n",
                bytesPerRecord);
        System.out.printf("timewait-bench: insert=%.0f ns/record (slowest tick's inserts after the first second, "
                + "which JIT-compiles the code: %.3f ms at %d ms, %d GC(s) in it) "
                + "lookup=%.0f ns (1.4 M records, half hits, half misses)%n",
                (double) insertNanos / inserted, insertMaxNanos / 1e6, insertMaxAtMs, insertMaxGcs, (double) lookupNanos);
        long over1ms = Arrays.stream(sorted).filter(t -> t > 1_000_000).count();
        System.out.printf("timewait-bench: sweep per 1 ms tick (%.0f records due per tick): p50=%.1f us p99=%.1f us "
                + "max=%.3f ms, ticks over 1 ms: %d of %d (GC time in the run, all collectors: %d ms)%n",
                perMs, sorted[ticks / 2] / 1e3, sorted[(int) (ticks * 0.99)] / 1e3, sorted[ticks - 1] / 1e6, over1ms,
                ticks, gcMillis);
        System.out.printf("{\"family\": \"%s\", \"records\": %d, \"bytes_per_record\": %d, \"insert_ns\": %.0f, "
                + "\"lookup_ns\": %.0f, \"sweep_p99_us\": %.1f, \"sweep_max_ms\": %.3f}%n", ipv6 ? "ipv6" : "ipv4",
                peak, bytesPerRecord,
                (double) insertNanos / inserted, (double) lookupNanos, sorted[(int) (ticks * 0.99)] / 1e3,
                sorted[ticks - 1] / 1e6);
    }

    /** Mean cost of a lookup, measured on a refilled table with half hits and half misses. */
    private static long lookups(TimeWaitTable drained, long inserted) {
        TimeWaitTable table = new TimeWaitTable(0);
        int meta = TimeWaitTable.meta(true, true, 7, 0, 65535 << 7);
        for (long i = 0; i < RECORDS; i++) {
            insert(table, i, 0, 0, meta);
        }
        SplittableRandom random = new SplittableRandom(1);
        int n = 2_000_000;
        long found = 0;
        long t0 = System.nanoTime();
        for (int lookup = 0; lookup < n; lookup++) {
            long i = random.nextLong(2L * RECORDS);
            long k = key(i);
            TimeWaitShard s = table.shard(k);
            synchronized (s) {
                found += s.find(k, remoteHi(i), remoteLo(i)) >= 0 ? 1 : 0;
            }
        }
        long perLookup = (System.nanoTime() - t0) / n;
        if (found == 0 || drained.shard(0).count() != 0 || inserted == 0) {
            throw new IllegalStateException("lookups found nothing, or records were left after the drain");
        }
        return perLookup;
    }
}
