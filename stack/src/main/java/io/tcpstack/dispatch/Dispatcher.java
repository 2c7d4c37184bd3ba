package io.tcpstack.dispatch;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.profile.Affinity;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import io.tcpstack.tcp.Wakeups;
import io.tcpstack.wire.IpProtocol;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multi-queue inbound processing (ARCHITECTURE.md, Concurrency): the link's reader threads hand
 * each packet to one of N workers, which run IP and TCP input to completion.
 *
 * <ul>
 *   <li>{@link Affinity#FLOW}: the worker is chosen by a hash of the packet's flow, so one
 *       connection's segments are processed by one thread in arrival order (RSS, gVisor's
 *       dispatcher).
 *   <li>{@link Affinity#NONE}: packets are sprayed round-robin over the workers, so two
 *       back-to-back segments of one connection (a pure ACK and a FIN/ACK, say) are processed by
 *       two threads at once, as two CPUs do on an RSS-less Linux receive path (loopback). That is
 *       what makes the FIN/ACK race real. (TUN steering alone would not: the kernel queues a flow
 *       on the queue we last wrote it from, so its back-to-back segments share a queue.)
 * </ul>
 *
 * <p>With one worker there is nothing to choose: a link with one queue has one reader thread, so
 * {@link Mode#THREADED} runs each packet to completion on it (as a NAPI poll does), in arrival
 * order, without the copy and the hand-off to a second thread (a futex wake-up and a context
 * switch per packet). The order and the single thread are what the worker would have given.
 *
 * <p>On virtual time there are no threads: {@link Mode#INLINE} processes every packet on the
 * caller, {@link Mode#STEPPED} queues packets per worker exactly as the threads would get them
 * and lets a test run each worker's next packet when it chooses (deterministic interleavings).
 */
public final class Dispatcher implements PacketReceiver, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final int QUEUE_DEPTH = 8192;
    /** Packets a worker processes before it wakes the applications they were for (a TUN reader's budget). */
    private static final int BURST = 64;

    private final PacketReceiver input;
    private final Supplier<Affinity> affinity;
    private final ByteBufAllocator alloc;
    private final StackStats stats;
    private final BlockingQueue<ByteBuf>[] queues;
    private final Thread[] workers;
    private final Mode mode;
    private final AtomicInteger spray = new AtomicInteger();
    private volatile boolean running;
    /** The link has called {@link #endOfBurst}: it marks its bursts, so wake-ups can wait for their end. */
    private volatile boolean linkMarksBursts;

    /** How packets reach the workers. */
    public enum Mode {
        /** Worker threads (the daemon). */
        THREADED,
        /** No workers: processed on the caller, in arrival order. */
        INLINE,
        /** Queued per worker as THREADED would, processed when a test calls {@link #step}. */
        STEPPED
    }

    /**
     * @param workers number of workers (the link's queue count: worker i processes as queue i)
     */
    @SuppressWarnings("unchecked")
    public Dispatcher(PacketReceiver input, Mode mode, int workers, Supplier<Affinity> affinity,
            ByteBufAllocator alloc, StackStats stats) {
        this.input = input;
        this.mode = mode == Mode.THREADED && workers == 1 ? Mode.INLINE : mode;
        this.affinity = affinity;
        this.alloc = alloc;
        this.stats = stats;
        this.queues = new BlockingQueue[workers];
        this.workers = new Thread[workers];
        for (int i = 0; i < workers; i++) {
            queues[i] = new ArrayBlockingQueue<>(QUEUE_DEPTH);
        }
    }

    public void start() {
        running = true;
        if (mode != Mode.THREADED) {
            return;
        }
        for (int i = 0; i < workers.length; i++) {
            int index = i;
            // netty recycles ByteBuf objects only on a FastThreadLocalThread
            workers[i] = new FastThreadLocalThread(() -> work(index), "tcpstack-worker-" + i);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    @Override
    public void receive(int queue, ByteBuf packet) {
        if (mode == Mode.INLINE) {
            if (linkMarksBursts) {
                Wakeups.defer();
            }
            input.receive(queue, packet);
            return;
        }
        enqueue(packet);
    }

    /** Inline: the applications the burst gave data to wake now ({@link Wakeups}). */
    @Override
    public void endOfBurst(int queue) {
        if (mode == Mode.INLINE) {
            linkMarksBursts = true;
            Wakeups.flush();
        }
    }

    /** Hands a copy of {@code packet} to the worker the affinity policy picks; returns its index. */
    public int enqueue(ByteBuf packet) {
        int worker = affinity.get() == Affinity.FLOW
                ? Math.floorMod(flowHash(packet), workers.length)
                : Math.floorMod(spray.getAndIncrement(), workers.length);
        ByteBuf copy = alloc.directBuffer(packet.readableBytes());
        copy.writeBytes(packet, packet.readerIndex(), packet.readableBytes());
        if (!queues[worker].offer(copy)) {
            copy.release();
            stats.inc(Counter.IpInDiscards);
        }
        return worker;
    }

    /** STEPPED: processes the next packet queued for {@code worker} on the caller; false if none. */
    public boolean step(int worker) {
        ByteBuf packet = queues[worker].poll();
        if (packet == null) {
            return false;
        }
        try {
            input.receive(worker, packet);
        } finally {
            packet.release();
        }
        return true;
    }

    /** STEPPED: runs every worker until all queues are empty. */
    public void drain() {
        boolean any = true;
        while (any) {
            any = false;
            for (int w = 0; w < queues.length; w++) {
                any |= step(w);
            }
        }
    }

    /**
     * A worker's burst is what its queue holds, up to {@link #BURST} packets: applications wake
     * when it is empty or the burst is full ({@link Wakeups}).
     */
    private void work(int index) {
        BlockingQueue<ByteBuf> queue = queues[index];
        int burst = 0;
        while (running) {
            ByteBuf packet = burst < BURST ? queue.poll() : null;
            if (packet == null) {
                Wakeups.flush();
                burst = 0;
                try {
                    packet = queue.poll(50, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (packet == null) {
                continue;
            }
            burst++;
            Wakeups.defer();
            try {
                input.receive(index, packet);
            } catch (RuntimeException e) {
                log.error("worker {}: packet processing failed", index, e);
            } finally {
                packet.release();
            }
        }
    }

    /**
     * Hash of the inbound flow: source address, and for TCP the two ports. Every segment of one
     * connection hashes alike; it does not need to match the kernel's hash.
     */
    static int flowHash(ByteBuf p) {
        int start = p.readerIndex();
        if (p.readableBytes() < 20) {
            return 0;
        }
        int hash = p.getInt(start + 12) * 0x9E3779B1;
        int ihl = (p.getUnsignedByte(start) & 0x0f) * 4;
        if (p.getUnsignedByte(start + 9) == IpProtocol.TCP && p.readableBytes() >= ihl + 4) {
            hash ^= p.getInt(start + ihl) * 0x85EBCA77;
        }
        return hash ^ (hash >>> 16);
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : workers) {
            if (t != null) {
                try {
                    t.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (BlockingQueue<ByteBuf> q : queues) {
            ByteBuf b;
            while ((b = q.poll()) != null) {
                b.release();
            }
        }
    }
}
