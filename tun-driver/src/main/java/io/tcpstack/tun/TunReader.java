package io.tcpstack.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.tcpstack.link.PacketReceiver;
import java.util.concurrent.atomic.LongAdder;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receive side of a {@link TunDevice}: each queue's reader polls its file descriptor with the
 * device's wake-up eventfd, reads up to a budget of packets per wake-up into one pooled direct
 * buffer (as NAPI's poll budget, net/core/dev.c napi_poll), optionally busy-polls after a burst
 * (net.core.busy_poll), completes offloaded checksums and hands every packet up; and the counts
 * of what it read.
 */
final class TunReader {
    /** Logs as the device it reads. */
    private static final Logger log = LoggerFactory.getLogger(TunDevice.class);
    /** Packets read per poll wake-up before polling again (like a NAPI budget). */
    private static final int READ_BUDGET = 64;
    /** Largest packet a TUN device delivers, GSO super-packets included (IP total length is 16 bits), and its header. */
    private static final int READ_BUFFER = 65536 + VirtioNetHeader.LENGTH;

    final LongAdder packets = new LongAdder();
    final LongAdder handlerErrors = new LongAdder();
    final LongAdder superPackets = new LongAdder();
    final LongAdder unsupported = new LongAdder();
    private final TunDevice device;
    private final String name;
    private final int[] fds;
    private final int wakeFd;
    private final boolean offload;
    private final LibC libc;
    private final Runtime runtime;
    private final TunSteering steering;
    /** After a burst, keep reading this long before sleeping in poll (0: sleep at once). */
    volatile long busyPollNanos;

    TunReader(TunDevice device, int[] fds, int wakeFd, LibC libc, Runtime runtime, TunSteering steering) {
        this.device = device;
        this.name = device.name();
        this.fds = fds;
        this.wakeFd = wakeFd;
        this.offload = device.offload();
        this.libc = libc;
        this.runtime = runtime;
        this.steering = steering;
    }

    /** Reads queue {@code queue} into {@code receiver} until the device closes (a reader thread's body). */
    void readLoop(int queue, PacketReceiver receiver) {
        steering.pinReader(queue);
        int fd = fds[queue];
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(READ_BUFFER, READ_BUFFER);
        Pointer pollfds = Memory.allocateDirect(runtime, 16, true);
        pollfds.putInt(0, fd);
        pollfds.putShort(4, LibC.POLLIN);
        pollfds.putInt(8, wakeFd);
        pollfds.putShort(12, LibC.POLLIN);
        try {
            if (!buf.hasMemoryAddress()) {
                throw new IllegalStateException("netty direct buffers have no memory address (sun.misc.Unsafe unavailable)");
            }
            long address = buf.memoryAddress();
            int start = offload ? VirtioNetHeader.LENGTH : 0;
            long spinUntil = System.nanoTime();
            while (!device.closing()) {
                pollfds.putShort(6, (short) 0);
                pollfds.putShort(14, (short) 0);
                if (busyPollNanos > 0 && System.nanoTime() - spinUntil < 0) {
                    Thread.onSpinWait(); // busy polling: read again without sleeping
                } else if (libc.poll(pollfds, 2, -1) < 0) {
                    int errno = runtime.getLastError();
                    if (errno == LibC.EINTR) {
                        continue;
                    }
                    log.error("poll on {} queue {} failed: {}", name, queue, libc.strerror(errno));
                    return;
                }
                if (pollfds.getShort(14) != 0) {
                    return;
                }
                int delivered = 0;
                for (int i = 0; i < READ_BUDGET && !device.closing(); i++) {
                    long n = libc.read(fd, address, READ_BUFFER);
                    if (n <= 0) {
                        break;
                    }
                    packets.increment();
                    if (n <= start) {
                        unsupported.increment();
                        continue;
                    }
                    buf.setIndex(start, (int) n);
                    if (offload && !completeOffloads(buf, start, (int) n - start)) {
                        continue;
                    }
                    try {
                        receiver.receive(queue, buf);
                        delivered++;
                    } catch (RuntimeException e) {
                        handlerErrors.increment();
                        log.warn("queue {}: packet handler failed", queue, e);
                    }
                }
                if (delivered > 0) {
                    receiver.endOfBurst(queue);
                    spinUntil = System.nanoTime() + busyPollNanos;
                }
                device.flush();
            }
        } finally {
            buf.release();
        }
    }

    /** Fills partial checksums of a packet read with its virtio-net header; false if it must be dropped. */
    private boolean completeOffloads(ByteBuf buf, int index, int length) {
        switch (VirtioNetHeader.complete(buf, index, length)) {
            case SUPER -> superPackets.increment();
            case UNSUPPORTED -> {
                unsupported.increment();
                return false;
            }
            default -> {
            }
        }
        return true;
    }
}
