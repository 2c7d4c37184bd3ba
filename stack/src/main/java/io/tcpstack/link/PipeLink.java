package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two links joined back to back in memory, in real time: what one sends, the other receives on
 * its own delivery thread (one per queue, like TUN readers). For running two stacks in one
 * process (examples, real-time tests); virtual-time tests use {@link SimulatedNetwork}.
 */
public final class PipeLink implements Link {
    private static final int DEPTH = 4096;

    private final int queues;
    private final int mtu;
    private final BlockingQueue<ByteBuf>[] inbound;
    private final Thread[] readers;
    private final AtomicLong dropped = new AtomicLong();
    private PipeLink peer;
    private volatile boolean closed;
    private volatile PacketReceiver receiver;

    @SuppressWarnings("unchecked")
    private PipeLink(int queues, int mtu) {
        this.queues = queues;
        this.mtu = mtu;
        this.inbound = new BlockingQueue[queues];
        this.readers = new Thread[queues];
        for (int q = 0; q < queues; q++) {
            inbound[q] = new ArrayBlockingQueue<>(DEPTH);
        }
    }

    /** A connected pair. */
    public static PipeLink[] pair(int queues, int mtu) {
        PipeLink a = new PipeLink(queues, mtu);
        PipeLink b = new PipeLink(queues, mtu);
        a.peer = b;
        b.peer = a;
        return new PipeLink[] {a, b};
    }

    @Override
    public int queueCount() {
        return queues;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public ByteBufAllocator alloc() {
        return UnpooledByteBufAllocator.DEFAULT;
    }

    /** Packets dropped because the other side's queue was full or closed. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void send(int queue, ByteBuf packet) {
        PipeLink to = peer;
        if (to.closed || !to.inbound[Math.floorMod(queue, to.queues)].offer(packet)) {
            dropped.incrementAndGet();
            packet.release();
        }
    }

    @Override
    public void start(PacketReceiver receiver) {
        this.receiver = receiver;
        for (int q = 0; q < queues; q++) {
            int queue = q;
            readers[q] = new Thread(() -> deliver(queue), "pipe-reader-" + q);
            readers[q].setDaemon(true);
            readers[q].start();
        }
    }

    private void deliver(int queue) {
        while (!closed) {
            ByteBuf packet;
            try {
                packet = inbound[queue].poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (packet == null) {
                continue;
            }
            try {
                receiver.receive(queue, packet);
            } catch (RuntimeException e) {
                dropped.incrementAndGet();
            } finally {
                packet.release();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : readers) {
            if (t != null) {
                try {
                    t.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (BlockingQueue<ByteBuf> q : inbound) {
            ByteBuf b;
            while ((b = q.poll()) != null) {
                b.release();
            }
        }
    }
}
