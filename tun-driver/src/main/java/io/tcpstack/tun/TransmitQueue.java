package io.tcpstack.tun;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Packets waiting to be written to a TUN device, like a device's transmit queue with xmit_more
 * (include/linux/netdevice.h): a reader queues what it sends while it processes a burst and
 * writes the lot when the burst ends, with one io_uring_enter(2) ({@link IoUring}); any other
 * thread's packet is written at once. Each packet keeps the TUN queue (file descriptor) it is
 * for; a device has a few of these, and a flow always uses the same one ({@link TunDevice#send}).
 *
 * <p>Packets leave in the order they were queued: one thread at a time writes (the {@code
 * flushing} flag), taking the oldest packets first. A thread that finds another one writing
 * leaves its packets to it (flat combining); the writer looks again after it lowers the flag, so
 * no packet waits for a later burst. Writing a TUN packet runs the kernel's receive path for it
 * in the writer's thread, so this also keeps that work out of the stack's connection locks.
 */
final class TransmitQueue {
    /** Packets per io_uring batch (the ring's size). */
    static final int BATCH = 64;
    /** Packets that may wait: a sender that finds it full writes (or waits for the writer) first. */
    static final int CAPACITY = 16 * BATCH;

    private final LibC libc;
    private final IoUring ring;
    private final ByteBuf[] waiting = new ByteBuf[CAPACITY];
    private final int[] waitingFd = new int[CAPACITY];
    private int head;
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final LongAdder packets;
    private final LongAdder errors;
    private final LongAdder batches;
    /** How many packets wait (written under the lock, read without it). */
    private volatile int queued;
    /** The batch being written (only the thread holding {@code flushing} touches these). */
    private final ByteBuf[] batch;
    private final int[] fds;
    private final long[] addresses;
    private final int[] lengths;
    private final long[] results;

    /** {@code ring} null: one write(2) per packet. */
    TransmitQueue(LibC libc, IoUring ring, LongAdder packets, LongAdder errors, LongAdder batches) {
        this.libc = libc;
        this.ring = ring;
        this.packets = packets;
        this.errors = errors;
        this.batches = batches;
        int size = ring == null ? 1 : Math.min(BATCH, ring.capacity);
        this.batch = new ByteBuf[size];
        this.fds = new int[size];
        this.addresses = new long[size];
        this.lengths = new int[size];
        this.results = new long[size];
    }

    /**
     * Queues {@code packet} (a direct buffer with a memory address) for {@code fd}; returns how
     * many wait now. When the queue is full, writes (or waits for the writer) first.
     */
    int add(ByteBuf packet, int fd) {
        while (true) {
            synchronized (this) {
                int n = queued;
                if (n < CAPACITY) {
                    int at = (head + n) % CAPACITY;
                    waiting[at] = packet;
                    waitingFd[at] = fd;
                    return queued = n + 1;
                }
            }
            flush();
            Thread.onSpinWait();
        }
    }

    /** Whether packets leave in io_uring batches (else one write(2) each). */
    boolean batched() {
        return ring != null;
    }

    boolean hasPending() {
        return queued > 0;
    }

    /** How many packets one batch holds: a reader writes when that many are queued. */
    int batchSize() {
        return batch.length;
    }

    /** Writes every queued packet, unless another thread is writing (it then writes them). */
    void flush() {
        while (queued > 0 && flushing.compareAndSet(false, true)) {
            try {
                int n;
                while ((n = take()) > 0) {
                    write(n);
                }
            } finally {
                flushing.set(false);
            }
        }
    }

    private synchronized int take() {
        int n = Math.min(queued, batch.length);
        for (int i = 0; i < n; i++) {
            ByteBuf p = waiting[head];
            waiting[head] = null;
            batch[i] = p;
            fds[i] = waitingFd[head];
            addresses[i] = p.memoryAddress() + p.readerIndex();
            lengths[i] = p.readableBytes();
            head = (head + 1) % CAPACITY;
        }
        queued -= n;
        return n;
    }

    private void write(int n) {
        try {
            if (ring != null && n > 1) {
                batches.increment();
                if (!ring.writeAll(n, fds, addresses, lengths, results)) {
                    errors.add(n);
                    return;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    results[i] = libc.write(fds[i], addresses[i], lengths[i]);
                }
            }
            for (int i = 0; i < n; i++) {
                if (results[i] == lengths[i]) {
                    packets.increment();
                } else {
                    errors.increment();
                }
            }
        } finally {
            for (int i = 0; i < n; i++) {
                batch[i].release();
                batch[i] = null;
            }
        }
    }

    /** Drops what is queued (the device is closing) and closes the ring. */
    void close() {
        synchronized (this) {
            for (int i = 0; i < queued; i++) {
                int at = (head + i) % CAPACITY;
                waiting[at].release();
                waiting[at] = null;
                errors.increment();
            }
            queued = 0;
        }
        if (ring != null) {
            ring.close();
        }
    }
}
