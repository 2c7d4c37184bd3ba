package io.tcpstack.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.link.SendingContext;
import io.tcpstack.profile.Affinity;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multi-queue inbound processing (stack/BEHAVIOURS.md 1). Each link queue has one reader
 * thread, and the reader runs its packets to completion (IP and TCP input, the applications'
 * handlers), as a NAPI poll runs a CPU's backlog: no copy and no hand-off per packet. Which queue
 * a packet lands on is the link's {@link io.tcpstack.link.Steering}, set from the {@link Affinity}:
 *
 * <ul>
 *   <li>{@link Affinity#NONE}: a packet arrives on the queue of the CPU that sent it, as on Linux
 *       without RSS. The peer's softirq ACK of our FIN and its application's RST or FIN/ACK are
 *       sent from two CPUs, land on two queues and are processed at the same time (the FIN/ACK
 *       race), while a bulk flow sent from one context stays on one queue, in order.
 *   <li>{@link Affinity#FLOW}: one 4-tuple, one queue, in arrival order (RSS).
 *   <li>{@link Affinity#SPRAY}, a stress mode only: readers hand every packet, copied, round-robin
 *       to worker threads, so back-to-back segments of one flow are processed concurrently and
 *       out of order (a copy, a futex wake-up and a context switch per packet).
 * </ul>
 *
 * <p>Every thread that processes queue q's packets sends from {@link SendingContext} q.
 *
 * <p>Measured against Linux on two cores (scripts/bench/inbound.sh: a kernel bulk sender to
 * discard, two queues, MTU 1500), with the TUN device's sending-CPU program and each reader kept
 * on its queue's CPUs: 0.04 to 0.8% of the segments went to the out-of-order queue, where Linux
 * receiving the same flow over veth queues 0.3 to 0.5%; with the readers free to run on any CPU,
 * 1 to 4% (a reader on the other queue's CPU sends the kernel's ACK-clocked data to that queue);
 * with spray, half. Those runs had busy CPUs; on an idle machine the sender process sends from
 * either CPU, the flow splits over both queues and 6 to 8% arrives out of order (README, "The
 * inbound path"). The race still happens: 17 to 61 stale lookups per 20,000 closes in
 * scripts/demo-finack.sh, where Linux against itself lost none of 200,000.
 *
 * <p>On virtual time there are no threads: {@link Mode#INLINE} processes every packet on the
 * caller, {@link Mode#STEPPED} holds packets per queue (per worker with spray) exactly as the
 * threads would get them, and lets a test run each queue's next packet when it chooses
 * (deterministic interleavings).
 */
public final class InboundQueues implements PacketReceiver, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InboundQueues.class);
    private static final int QUEUE_DEPTH = 8192;
    /** Packets a worker processes before it wakes the applications they were for (a TUN reader's budget). */
    private static final int BURST = 64;
    /** Slots between two queues' counters: 128 bytes, so two readers never write one cache line. */
    private static final int STRIDE = 16;

    private final PacketReceiver input;
    private final Supplier<Affinity> affinity;
    private final ByteBufAllocator alloc;
    private final StackStats stats;
    private final BlockingQueue<ByteBuf>[] queues;
    private final Thread[] workers;
    private final Mode mode;
    private final AtomicInteger spray = new AtomicInteger();
    /** Packets received per queue (each slot written by its queue's reader only). */
    private final AtomicLongArray received;
    private volatile boolean running;
    private volatile boolean workersStarted;
    /** The link has called {@link #endOfBurst}: it marks its bursts, so wake-ups can wait for their end. */
    private volatile boolean linkMarksBursts;

    /** Where packets are processed. */
    public enum Mode {
        /** On the link's reader threads; with {@link Affinity#SPRAY}, on worker threads. */
        THREADED,
        /** On the caller, in arrival order (virtual time: one thread). */
        INLINE,
        /** Held per queue (per worker with spray) until a test calls {@link #step}. */
        STEPPED
    }

    /**
     * @param queues the link's queue count (with spray, one worker per queue)
     */
    @SuppressWarnings("unchecked")
    public InboundQueues(PacketReceiver input, Mode mode, int queues, Supplier<Affinity> affinity,
            ByteBufAllocator alloc, StackStats stats) {
        this.input = input;
        this.mode = mode;
        this.affinity = affinity;
        this.alloc = alloc;
        this.stats = stats;
        this.queues = new BlockingQueue[queues];
        this.workers = new Thread[queues];
        this.received = new AtomicLongArray(queues * STRIDE);
        for (int i = 0; i < queues; i++) {
            this.queues[i] = new ArrayBlockingQueue<>(QUEUE_DEPTH);
        }
    }

    public void start() {
        running = true;
    }

    @Override
    public void receive(int queue, ByteBuf packet) {
        if (mode == Mode.STEPPED) {
            enqueue(queue, packet);
            return;
        }
        count(queue);
        if (mode == Mode.THREADED && queues.length > 1 && affinity.get() == Affinity.SPRAY) {
            hand(Math.floorMod(spray.getAndIncrement(), queues.length), packet);
            return;
        }
        SendingContext.enter(queue);
        if (linkMarksBursts) {
            input.startOfBurst(queue);
        }
        input.receive(queue, packet);
    }

    /** The burst is over: the input runs what it deferred to its end (waking the applications it gave data to). */
    @Override
    public void endOfBurst(int queue) {
        if (mode != Mode.STEPPED) {
            linkMarksBursts = true;
            input.endOfBurst(queue);
        }
    }

    /** Inbound packets that arrived on {@code queue} so far. */
    public long received(int queue) {
        return received.getOpaque(queue * STRIDE);
    }

    /** The link's queue count. */
    public int queueCount() {
        return queues.length;
    }

    private void count(int queue) {
        int slot = queue * STRIDE;
        received.setOpaque(slot, received.getOpaque(slot) + 1);
    }

    /**
     * STEPPED: holds a copy of {@code packet}, arrived on {@code queue}, for the thread that would
     * process it (with spray, the next worker in turn); returns that thread's index for {@link #step}.
     */
    public int enqueue(int queue, ByteBuf packet) {
        count(queue);
        int worker = affinity.get() == Affinity.SPRAY ? Math.floorMod(spray.getAndIncrement(), queues.length)
                : Math.floorMod(queue, queues.length);
        hand(worker, packet);
        return worker;
    }

    /** Queues a copy of {@code packet} for {@code worker} (started if threaded); counted drop when full. */
    private void hand(int worker, ByteBuf packet) {
        if (mode == Mode.THREADED && !workersStarted) {
            startWorkers();
        }
        ByteBuf copy = alloc.directBuffer(packet.readableBytes());
        copy.writeBytes(packet, packet.readerIndex(), packet.readableBytes());
        if (!queues[worker].offer(copy)) {
            copy.release();
            stats.inc(Counter.IpInDiscards);
        }
    }

    /** The spray workers, started when spray is first used (a daemon may switch to it at run time). */
    private synchronized void startWorkers() {
        if (workersStarted) {
            return;
        }
        for (int i = 0; i < workers.length; i++) {
            int index = i;
            // netty recycles ByteBuf objects only on a FastThreadLocalThread
            workers[i] = new FastThreadLocalThread(() -> work(index), "tcpstack-worker-" + i);
            workers[i].setDaemon(true);
            workers[i].start();
        }
        workersStarted = true;
        log.info("affinity spray: {} worker threads take the packets from the readers, one at a time", workers.length);
    }

    /** STEPPED: processes the next packet held for {@code worker} on the caller; false if none. */
    public boolean step(int worker) {
        ByteBuf packet = queues[worker].poll();
        if (packet == null) {
            return false;
        }
        try {
            SendingContext.enter(worker);
            input.receive(worker, packet);
        } finally {
            packet.release();
        }
        return true;
    }

    /** STEPPED: runs every queue until all are empty. */
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
     * when it is empty or the burst is full ({@link PacketReceiver#endOfBurst}).
     */
    private void work(int index) {
        SendingContext.enter(index);
        BlockingQueue<ByteBuf> queue = queues[index];
        int burst = 0;
        while (running) {
            ByteBuf packet = burst < BURST ? queue.poll() : null;
            if (packet == null) {
                input.endOfBurst(index);
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
            input.startOfBurst(index);
            try {
                input.receive(index, packet);
            } catch (RuntimeException e) {
                log.error("worker {}: packet processing failed", index, e);
            } finally {
                packet.release();
            }
        }
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
