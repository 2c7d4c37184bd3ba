package io.tcpstack.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
    /** Bytes of packet slots per queue: 256 slots up to MTU 16 KiB, fewer (at least two batches) above. */
    static final int SLAB_BYTES = 4 << 20;

    private final LibC libc;
    private final IoUring ring;
    /**
     * The waiting packets' bytes, one slot each: a packet is copied in by the thread that sends it,
     * which releases its buffer at once (a pooled buffer goes back to the cache of the thread that
     * allocated it, and the writer frees nothing of other threads').
     */
    private final ByteBuf slab;
    private final int slotSize;
    private final int slots;
    private final int[] slotLength;
    private final int[] slotFd;
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final LongAdder packets;
    private final LongAdder errors;
    private final LongAdder batches;
    /** The first waiting slot; the slots before it, {@code inFlight} of them, are being written. */
    private int head;
    private int inFlight;
    /** After {@link #close}: the slab is freed, nothing more is queued or taken. */
    private boolean closed;
    /** How many packets wait (written under the lock, read without it). */
    private volatile int queued;
    /** The batch being written (only the thread holding {@code flushing} touches these). */
    private final int[] fds;
    private final long[] addresses;
    private final int[] lengths;
    private final long[] results;

    /** Packets of up to {@code maxPacket} bytes; {@code ring} null: one write(2) per packet. */
    TransmitQueue(int maxPacket, LibC libc, IoUring ring, LongAdder packets, LongAdder errors, LongAdder batches) {
        this.libc = libc;
        this.ring = ring;
        this.packets = packets;
        this.errors = errors;
        this.batches = batches;
        int size = ring == null ? 1 : Math.min(BATCH, ring.capacity);
        this.slotSize = maxPacket;
        this.slots = Math.max(2 * size, Math.min(4 * BATCH, SLAB_BYTES / maxPacket));
        this.slab = PooledByteBufAllocator.DEFAULT.directBuffer(slots * slotSize, slots * slotSize);
        if (!slab.hasMemoryAddress()) {
            slab.release();
            throw new IllegalStateException("netty direct buffers have no memory address (sun.misc.Unsafe unavailable)");
        }
        this.slotLength = new int[slots];
        this.slotFd = new int[slots];
        this.fds = new int[size];
        this.addresses = new long[size];
        this.lengths = new int[size];
        this.results = new long[size];
    }

    /**
     * Copies {@code packet}, for {@code fd}, to the end of the queue and releases it; returns how
     * many packets wait now (0: longer than the slots, or the queue closed; counted and dropped).
     * When the queue is full, writes (or waits for the writer) first.
     */
    int add(ByteBuf packet, int fd) {
        try {
            int length = packet.readableBytes();
            if (length > slotSize) {
                errors.increment();
                return 0;
            }
            while (true) {
                synchronized (this) {
                    if (closed) {
                        errors.increment();
                        return 0;
                    }
                    int n = queued;
                    if (inFlight + n < slots) {
                        int slot = (head + n) % slots;
                        slab.setBytes(slot * slotSize, packet, packet.readerIndex(), length);
                        slotLength[slot] = length;
                        slotFd[slot] = fd;
                        return queued = n + 1;
                    }
                }
                flush();
                Thread.onSpinWait();
            }
        } finally {
            packet.release();
        }
    }

    /** Whether packets leave in io_uring batches (else one write(2) each). */
    boolean batched() {
        return ring != null;
    }

    boolean hasPending() {
        return queued > 0;
    }

    /** Nothing waits and nobody writes: a packet may be written by its own thread, bypassing the queue. */
    boolean idle() {
        return queued == 0 && !flushing.get();
    }

    /** How many packets one batch holds: a reader writes when that many are queued. */
    int batchSize() {
        return fds.length;
    }

    /** Writes every queued packet, unless another thread is writing (it then writes them). */
    void flush() {
        while (queued > 0 && flushing.compareAndSet(false, true)) {
            try {
                int n;
                while ((n = take()) > 0) {
                    write(n);
                    synchronized (this) {
                        inFlight = 0;
                    }
                }
            } finally {
                flushing.set(false);
            }
        }
    }

    /** Moves up to a batch of the oldest waiting packets in flight. */
    private synchronized int take() {
        int n = closed ? 0 : Math.min(queued, fds.length);
        for (int i = 0; i < n; i++) {
            int slot = (head + i) % slots;
            fds[i] = slotFd[slot];
            addresses[i] = slab.memoryAddress() + (long) slot * slotSize;
            lengths[i] = slotLength[slot];
        }
        head = (head + n) % slots;
        queued -= n;
        inFlight = n;
        return n;
    }

    private void write(int n) {
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
    }

    /** Drops what is queued (the device is closing, no writer is left) and frees the slots and the ring. */
    void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            errors.add(queued);
            queued = 0;
            slab.release();
        }
        if (ring != null) {
            ring.close();
        }
    }
}
