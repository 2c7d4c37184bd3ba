package io.tcpstack.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.tcpstack.link.Link;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.link.Steering;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Linux TUN device with N queues ({@code IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE}), as a {@link
 * Link}: one non-blocking file descriptor and one reader thread per queue.
 *
 * <p>Each reader polls its queue together with one shared eventfd; {@link #close()} writes the
 * eventfd, which wakes every reader at once (a thread blocked in read(2) on a TUN fd is woken by
 * neither close() nor an interrupt). Packets are read into one pooled direct buffer per reader and
 * handed up in place; what the stack sends is copied into a slot of a transmit queue and written
 * from there, by memory address: no allocation per packet either way. What a reader sends while
 * it processes a burst leaves when the burst ends, in io_uring batches ({@link TunTransmit}).
 *
 * <p>Which queue the kernel puts a packet on is the {@link #steer steering}: a steering eBPF
 * program ({@link SteeringProgram}; the sending CPU, or a flow hash), or without one the kernel's
 * flow table, which sends each flow to the queue the stack last wrote it on
 * (tun_automq_select_queue). With several queues, reader q runs on the CPUs c with c mod queues
 * = q: with the sending-CPU program a packet is processed on the CPU that sent it (or one
 * congruent to it), and what the kernel sends while processing a reader's write (an ACK, the data
 * that ACK lets out) comes back to that reader's queue, as on Linux a packet stays in its CPU's
 * backlog for that CPU's NAPI poll.
 *
 * <p>Opening attaches to an existing multi-queue device (as {@code ip tuntap add ... multi_queue}
 * makes it) or creates a non-persistent one that disappears when the last queue closes.
 *
 * <p>With offloads ({@link #open(String, int, boolean)}), the device carries a {@link
 * VirtioNetHeader} before every packet ({@code IFF_VNET_HDR}, {@code TUNSETVNETHDRSZ}) and the
 * kernel may hand us TCPv4 super-packets of up to 64 KiB with partial checksums ({@code
 * TUNSETOFFLOAD} with {@code TUN_F_CSUM | TUN_F_TSO4}): one read per 64 KiB instead of one per
 * MSS. The device completes them (fills the checksums) before the stack sees them, so the engine
 * stays unaware of offloads; outbound packets get an all-zero header (no offload asked), written
 * with the packet in one writev(2).
 */
public final class TunDevice implements Link {
    private static final Logger log = LoggerFactory.getLogger(TunDevice.class);

    /** linux/if_tun.h: _IOW('T', 202, int). */
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_MULTI_QUEUE = 0x0100;
    static final short IFF_VNET_HDR = 0x4000;
    /** linux/if_tun.h: _IOW('T', 208, unsigned int), the argument passed by value. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    /** linux/if_tun.h: _IOW('T', 216, int), the argument by reference. */
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    /** struct ifreq: char ifr_name[IFNAMSIZ] then a union (short ifr_flags); 40 bytes on x86_64. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;
    private static final int IFR_FLAGS_OFFSET = 16;

    private final LibC libc = LibC.INSTANCE;
    private final Runtime runtime = Runtime.getRuntime(LibC.INSTANCE);
    private final String name;
    private final int[] fds;
    private final int wakeFd;
    private final int mtu;
    private final boolean offload;
    private final Thread[] readers;
    private final AtomicInteger writersInFlight = new AtomicInteger();
    private volatile PacketReceiver receiver;
    private volatile boolean closed;
    private boolean fdsClosed;
    private final TunSteering steering;
    private final TunReader rx;
    private final TunTransmit tx;

    private TunDevice(String name, int[] fds, int wakeFd, int mtu, boolean offload) {
        this.name = name;
        this.fds = fds;
        this.wakeFd = wakeFd;
        this.mtu = mtu;
        this.offload = offload;
        this.readers = new Thread[fds.length];
        this.tx = new TunTransmit(name, fds, mtu, offload, libc, runtime);
        this.steering = new TunSteering(name, fds, libc, runtime);
        this.rx = new TunReader(this, fds, wakeFd, libc, runtime, steering);
    }

    /** A queue's reader: what it sends waits for the end of its burst ({@link TunDevice#send}). */
    private static final class ReaderThread extends FastThreadLocalThread {
        final TunDevice device;

        ReaderThread(TunDevice device, Runnable body, String name) {
            super(body, name);
            this.device = device;
        }
    }

    /**
     * Busy polling (Linux net.core.busy_poll, for a TUN reader): after a burst, each reader keeps
     * reading for {@code micros} microseconds before it sleeps in poll(2). While requests keep
     * coming its CPU never halts, so the next packet costs no wake-up (in a VM, waking a halted
     * vCPU goes through the host's scheduler); the price is a core spinning up to that long
     * after the last packet. 0 (the default) sleeps at once.
     */
    public void setBusyPollMicros(int micros) {
        if (micros < 0) {
            throw new IllegalArgumentException("busy poll must be >= 0 us, got " + micros);
        }
        rx.busyPollNanos = micros * 1000L;
    }

    /**
     * Attaches {@code queues} queues to the TUN device {@code name}, creating it if it does not
     * exist. Needs CAP_NET_ADMIN.
     */
    public static TunDevice open(String name, int queues) throws IOException {
        return open(name, queues, false);
    }

    /**
     * As {@link #open(String, int)}; with {@code offload}, also the virtio-net header, checksum
     * offload and TSO for IPv4 (every queue of a device must be opened alike).
     */
    public static TunDevice open(String name, int queues, boolean offload) throws IOException {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.US_ASCII).length >= IFNAMSIZ) {
            throw new IllegalArgumentException("device name must be 1.." + (IFNAMSIZ - 1) + " characters: " + name);
        }
        if (queues < 1 || queues > 256) {
            throw new IllegalArgumentException("queues must be 1..256, got " + queues);
        }
        LibC libc = LibC.INSTANCE;
        Runtime runtime = Runtime.getRuntime(libc);
        int[] fds = new int[queues];
        String actual = name;
        int opened = 0;
        try {
            while (opened < queues) {
                int fd = libc.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
                if (fd < 0) {
                    throw failure("open /dev/net/tun", runtime, libc);
                }
                fds[opened++] = fd;
                Pointer ifr = Memory.allocateDirect(runtime, IFREQ_SIZE, true);
                ifr.putString(0, name, IFNAMSIZ, StandardCharsets.US_ASCII);
                ifr.putShort(IFR_FLAGS_OFFSET, (short) (IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | (offload ? IFF_VNET_HDR : 0)));
                if (libc.ioctl(fd, TUNSETIFF, ifr) < 0) {
                    throw failure("TUNSETIFF " + name + " (queue " + (opened - 1)
                            + "; an existing device must be a multi_queue tun, and CAP_NET_ADMIN is needed)", runtime, libc);
                }
                actual = ifr.getString(0, IFNAMSIZ, StandardCharsets.US_ASCII);
                setOffloads(fd, offload, libc, runtime);
            }
            int wake = libc.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
            if (wake < 0) {
                throw failure("eventfd", runtime, libc);
            }
            int mtu = readMtu(actual);
            log.info("attached {} queue(s) to {} (mtu {}{})", queues, actual, mtu, offload ? ", virtio-net header, csum+tso4 offload" : "");
            return new TunDevice(actual, fds, wake, mtu, offload);
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < opened; i++) {
                libc.close(fds[i]);
            }
            throw e;
        }
    }

    /**
     * With offloads, TUNSETVNETHDRSZ to the 10-byte header and TUNSETOFFLOAD: we accept partial
     * checksums and TSO4. Without, TUNSETOFFLOAD 0: the offloads are the device's, not the
     * queue's, and a process that had them on before us would leave the kernel sending partial
     * checksums we could not recognise.
     */
    private static void setOffloads(int fd, boolean offload, LibC libc, Runtime runtime) throws IOException {
        if (offload) {
            Pointer size = Memory.allocateDirect(runtime, 4, true);
            size.putInt(0, VirtioNetHeader.LENGTH);
            if (libc.ioctl(fd, TUNSETVNETHDRSZ, size) < 0) {
                throw failure("TUNSETVNETHDRSZ", runtime, libc);
            }
        }
        if (libc.ioctl(fd, TUNSETOFFLOAD, offload ? (long) (TUN_F_CSUM | TUN_F_TSO4) : 0L) < 0) {
            throw failure("TUNSETOFFLOAD", runtime, libc);
        }
    }

    static IOException failure(String what, Runtime runtime, LibC libc) {
        int errno = runtime.getLastError();
        return new IOException(what + ": " + libc.strerror(errno) + " (errno " + errno + ")");
    }

    private static int readMtu(String device) {
        try {
            return Integer.parseInt(Files.readString(Path.of("/sys/class/net", device, "mtu")).trim());
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot read the MTU of {} ({}); assuming 1500", device, e.toString());
            return 1500;
        }
    }

    /** The device's name as the kernel reports it. */
    public String name() {
        return name;
    }

    @Override
    public int queueCount() {
        return fds.length;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    /** With offloads, TCP super-packets up to 64 KiB, which the kernel segments (TSO); else the MTU. */
    @Override
    public int maxSendPacket() {
        return offload ? VirtioNetHeader.MAX_SUPER_PACKET : mtu;
    }

    @Override
    public ByteBufAllocator alloc() {
        return PooledByteBufAllocator.DEFAULT;
    }

    public long rxPackets() {
        return rx.packets.sum();
    }

    public long txPackets() {
        return tx.packets.sum();
    }

    /** How packets leave, in a few words (ctl status). */
    public String transmitMode() {
        return tx.mode();
    }

    /** io_uring submissions, each writing a burst of packets. */
    public long txBatches() {
        return tx.batches.sum();
    }

    /** Writes the kernel refused (or that came after close). */
    public long txErrors() {
        return tx.errors.sum();
    }

    /** Inbound packets whose handler threw (the reader goes on). */
    public long rxHandlerErrors() {
        return rx.handlerErrors.sum();
    }

    /** Whether the device runs with the virtio-net header and offloads. */
    public boolean offload() {
        return offload;
    }

    /** TSO super-packets read (with offloads), each handed up whole. */
    public long rxSuperPackets() {
        return rx.superPackets.sum();
    }

    /** Inbound packets dropped for an offload we never enabled, or a malformed virtio-net header. */
    public long rxUnsupported() {
        return rx.unsupported.sum();
    }

    /**
     * Sends {@code packet} on {@code queue}: a reader thread's packet waits for the end of its
     * burst, any other thread's leaves at once ({@link TunTransmit#send}).
     */
    @Override
    public void send(int queue, ByteBuf packet) {
        writersInFlight.incrementAndGet();
        try {
            if (closed) {
                tx.refuse(packet);
                return;
            }
            tx.send(queue, packet, Thread.currentThread() instanceof ReaderThread r && r.device == this);
        } finally {
            writersInFlight.decrementAndGet();
        }
    }

    /** Writes every packet a reader's burst queued: it calls this when its burst ends, before it sleeps. */
    void flush() {
        tx.flush();
    }

    /**
     * Attaches the steering program of {@code steering} ({@link TunSteering#steer}). With one
     * queue there is nothing to steer.
     */
    @Override
    public synchronized void steer(Steering steering) {
        if (fds.length == 1 || fdsClosed) {
            return;
        }
        this.steering.steer(steering);
    }

    @Override
    public String steering() {
        return steering.describe();
    }

    @Override
    public synchronized void start(PacketReceiver receiver) {
        if (this.receiver != null) {
            throw new IllegalStateException("already started");
        }
        this.receiver = receiver;
        for (int q = 0; q < fds.length; q++) {
            int queue = q;
            // a FastThreadLocalThread: netty 4.2 recycles ByteBuf objects only on those, so the
            // packets this reader's stack sends allocate nothing
            readers[q] = new ReaderThread(this, () -> rx.readLoop(queue, receiver), "tun-rx-" + q);
            readers[q].setDaemon(true);
            readers[q].start();
        }
    }

    /** Whether {@link #close()} began: the readers stop. */
    boolean closing() {
        return closed;
    }

    /**
     * Wakes and joins every reader, waits for writes in flight, then closes the queues (which
     * detaches them; a device this process created disappears with its last queue).
     */
    @Override
    public void close() {
        synchronized (this) {
            if (fdsClosed) {
                return;
            }
            closed = true;
            Pointer one = Memory.allocateDirect(runtime, 8, true);
            one.putLong(0, 1L);
            libc.write(wakeFd, one.address(), 8);
        }
        for (Thread t : readers) {
            if (t != null && t != Thread.currentThread()) {
                try {
                    t.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        long deadline = System.nanoTime() + 100_000_000L;
        while (writersInFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        synchronized (this) {
            if (fdsClosed) {
                return;
            }
            steering.detachProgram();
            fdsClosed = true;
            tx.close();
            for (int fd : fds) {
                libc.close(fd);
            }
            steering.closePrograms();
            libc.close(wakeFd);
        }
        log.info("detached {} queue(s) from {}", fds.length, name);
    }
}
