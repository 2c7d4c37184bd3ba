package io.tcpstack.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.tcpstack.link.Steering;
import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transmit side of a {@link TunDevice}. Without offloads, packets go through {@link
 * TransmitQueue}s: a TUN reader's wait for the end of its burst and leave in io_uring batches, as
 * a NAPI poll's transmissions leave with xmit_more; a flow always uses the same transmit queue, so
 * its packets leave in the order the stack sent them, whichever TUN queue each is for. Any other
 * thread's packet leaves at once, written by that thread itself while its transmit queue is idle.
 * With offloads each packet is written alone after its virtio-net header, with writev(2).
 */
final class TunTransmit {
    /** Logs as the device it writes. */
    private static final Logger log = LoggerFactory.getLogger(TunDevice.class);

    final LongAdder packets = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder batches = new LongAdder();
    private final int[] fds;
    private final int mtu;
    private final boolean offload;
    private final LibC libc;
    /** Without offloads: as many as queues, each with its own io_uring (or none). */
    private final TransmitQueue[] queues;
    /** With offloads: per sending thread, a two-entry iovec array (header, packet) and the header. */
    private final ThreadLocal<Pointer> iovecs;

    TunTransmit(String name, int[] fds, int mtu, boolean offload, LibC libc, Runtime runtime) {
        this.fds = fds;
        this.mtu = mtu;
        this.offload = offload;
        this.libc = libc;
        this.iovecs = offload ? ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, 32 + 16, true)) : null;
        this.queues = new TransmitQueue[offload ? 0 : fds.length];
        IoUring[] rings = rings(name, queues.length, libc, runtime);
        for (int q = 0; q < queues.length; q++) {
            queues[q] = new TransmitQueue(mtu, libc, rings[q], packets, errors, batches);
        }
    }

    /**
     * One io_uring per transmit queue, or none at all (every queue then writes one packet per
     * write(2), as {@link #mode} says): io_uring is off (kernel.io_uring_disabled, a seccomp
     * filter, a kernel before 5.1) or a ring could not be had (RLIMIT_MEMLOCK before 5.12).
     */
    private static IoUring[] rings(String name, int count, LibC libc, Runtime runtime) {
        IoUring[] rings = new IoUring[count];
        for (int q = 0; q < count; q++) {
            try {
                rings[q] = IoUring.open(TransmitQueue.BATCH, libc, runtime);
            } catch (IOException e) {
                log.info("{}: no io_uring ({}): each packet sent costs one write(2)", name, e.getMessage());
                for (int opened = 0; opened < q; opened++) {
                    rings[opened].close();
                    rings[opened] = null;
                }
                break;
            }
        }
        return rings;
    }

    /** How packets leave, in a few words (ctl status). */
    String mode() {
        if (offload) {
            return "writev-vnet-hdr";
        }
        return queues[0].batched() ? "io_uring-batch" : "write-per-packet";
    }

    /**
     * Sends {@code packet} on TUN queue {@code queue}. With {@code deferred} (a reader inside its
     * burst) it waits for {@link #flush} or a full batch. Otherwise it leaves at once: written by
     * this thread when its transmit queue is idle, as a Linux thread's transmit runs the receive
     * path on its own CPU, so the kernel may process it while it processes a reader's batch (the
     * FIN/ACK race in the kernel peer, stack/BEHAVIOURS.md 1); else behind what waits, in order.
     */
    void send(int queue, ByteBuf packet, boolean deferred) {
        int fd = fds[Math.floorMod(queue, fds.length)];
        TransmitQueue tx = offload ? null : queues[Integer.remainderUnsigned(Steering.flowHash(packet), queues.length)];
        if (offload || (!deferred && tx.idle())) {
            writeAlone(fd, packet);
        } else if (tx.add(packet, fd) >= tx.batchSize() || !deferred) {
            tx.flush();
        }
    }

    /** A packet that came after close: counted and released. */
    void refuse(ByteBuf packet) {
        errors.increment();
        packet.release();
    }

    /** Writes everything that waits. */
    void flush() {
        for (TransmitQueue tx : queues) {
            if (tx.hasPending()) {
                tx.flush();
            }
        }
    }

    /** Drops what waits (the device is closing) and closes the rings. */
    void close() {
        for (TransmitQueue tx : queues) {
            tx.close();
        }
    }

    /** A buffer without a memory address (heap, composite): a direct copy, the original released. */
    private static ByteBuf directCopy(ByteBuf packet) {
        try {
            ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(packet.readableBytes());
            direct.writeBytes(packet, packet.readerIndex(), packet.readableBytes());
            return direct;
        } finally {
            packet.release();
        }
    }

    /**
     * Writes {@code sent} with one system call (from a direct copy if it has no memory address)
     * and releases it: with offloads writev(2) after its virtio-net header (plain, or TSO for a
     * TCP super-packet), else write(2).
     */
    private void writeAlone(int fd, ByteBuf sent) {
        ByteBuf packet = sent.hasMemoryAddress() ? sent : directCopy(sent);
        try {
            int index = packet.readerIndex();
            int length = packet.readableBytes();
            long address = packet.memoryAddress() + index;
            long written;
            if (offload) {
                Pointer iov = iovecs.get();
                if (!VirtioNetHeader.fillOutbound(iov, 32, packet, index, length, mtu)) {
                    errors.increment();
                    return;
                }
                iov.putLong(0, iov.address() + 32);
                iov.putLong(8, VirtioNetHeader.LENGTH);
                iov.putLong(16, address);
                iov.putLong(24, length);
                written = libc.writev(fd, iov.address(), 2) - VirtioNetHeader.LENGTH;
            } else {
                written = libc.write(fd, address, length);
            }
            if (written == length) {
                packets.increment();
            } else {
                errors.increment();
            }
        } finally {
            packet.release();
        }
    }
}
