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
import java.util.concurrent.atomic.LongAdder;
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
 * written from the buffer the stack filled, by memory address: no copy and no allocation per
 * packet.
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
    /** Packets read per poll wake-up before polling again (like a NAPI budget). */
    private static final int READ_BUDGET = 64;
    /** Largest packet a TUN device delivers, GSO super-packets included (IP total length is 16 bits), and its header. */
    private static final int READ_BUFFER = 65536 + VirtioNetHeader.LENGTH;
    /** A cpu_set_t: 1024 CPUs. */
    private static final int CPU_SET_BYTES = 128;
    private static final String KERNEL_FLOW_TABLE = "the kernel's flow table: each flow on the queue last written";

    private final LibC libc = LibC.INSTANCE;
    private final Runtime runtime = Runtime.getRuntime(LibC.INSTANCE);
    private final String name;
    private final int[] fds;
    private final int wakeFd;
    private final int mtu;
    private final boolean offload;
    /** With offloads: per sending thread, a two-entry iovec array (header, packet) and the header. */
    private final ThreadLocal<Pointer> iovecs;
    private final Thread[] readers;
    private final AtomicInteger writersInFlight = new AtomicInteger();
    private final LongAdder rxPackets = new LongAdder();
    private final LongAdder txPackets = new LongAdder();
    private final LongAdder txErrors = new LongAdder();
    private final LongAdder rxHandlerErrors = new LongAdder();
    private final LongAdder rxSuperPackets = new LongAdder();
    private final LongAdder rxUnsupported = new LongAdder();
    private volatile PacketReceiver receiver;
    private volatile boolean closed;
    private boolean fdsClosed;
    /** Loaded steering programs by {@link Steering} ordinal, or null. */
    private final Program[] programs = new Program[Steering.values().length];
    private boolean programAttached;
    private volatile String steering;
    /** After a burst, keep reading this long before sleeping in poll (0: sleep at once). */
    private volatile long busyPollNanos;

    private TunDevice(String name, int[] fds, int wakeFd, int mtu, boolean offload) {
        this.name = name;
        this.fds = fds;
        this.wakeFd = wakeFd;
        this.mtu = mtu;
        this.offload = offload;
        this.iovecs = offload ? ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, 32 + 16, true)) : null;
        this.readers = new Thread[fds.length];
        this.steering = fds.length == 1 ? "one queue" : KERNEL_FLOW_TABLE;
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
        busyPollNanos = micros * 1000L;
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

    private static IOException failure(String what, Runtime runtime, LibC libc) {
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
        return rxPackets.sum();
    }

    public long txPackets() {
        return txPackets.sum();
    }

    /** Writes the kernel refused (or that came after close). */
    public long txErrors() {
        return txErrors.sum();
    }

    /** Inbound packets whose handler threw (the reader goes on). */
    public long rxHandlerErrors() {
        return rxHandlerErrors.sum();
    }

    /** Whether the device runs with the virtio-net header and offloads. */
    public boolean offload() {
        return offload;
    }

    /** TSO super-packets read (with offloads), each handed up whole. */
    public long rxSuperPackets() {
        return rxSuperPackets.sum();
    }

    /** Inbound packets dropped for an offload we never enabled, or a malformed virtio-net header. */
    public long rxUnsupported() {
        return rxUnsupported.sum();
    }

    @Override
    public void send(int queue, ByteBuf packet) {
        writersInFlight.incrementAndGet();
        try {
            if (closed) {
                txErrors.increment();
                return;
            }
            int length = packet.readableBytes();
            int fd = fds[Math.floorMod(queue, fds.length)];
            long written;
            if (packet.hasMemoryAddress()) {
                written = write(fd, packet, packet.readerIndex(), packet.memoryAddress() + packet.readerIndex(), length);
            } else {
                written = writeCopy(fd, packet, length);
            }
            if (written == length) {
                txPackets.increment();
            } else {
                txErrors.increment();
            }
        } finally {
            writersInFlight.decrementAndGet();
            packet.release();
        }
    }

    /** A buffer without a memory address (heap, composite): copy it into a direct one first. */
    private long writeCopy(int fd, ByteBuf packet, int length) {
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(length);
        try {
            direct.writeBytes(packet, packet.readerIndex(), length);
            return write(fd, direct, 0, direct.memoryAddress(), length);
        } finally {
            direct.release();
        }
    }

    /**
     * Writes the packet at {@code index} of {@code buf} (at {@code address}); with offloads after
     * its virtio-net header (plain, or TSO for a TCP super-packet). Returns the packet bytes written.
     */
    private long write(int fd, ByteBuf buf, int index, long address, int length) {
        if (!offload) {
            return libc.write(fd, address, length);
        }
        Pointer iov = iovecs.get();
        if (!VirtioNetHeader.fillOutbound(iov, 32, buf, index, length, mtu)) {
            return -1;
        }
        iov.putLong(0, iov.address() + 32);
        iov.putLong(8, VirtioNetHeader.LENGTH);
        iov.putLong(16, address);
        iov.putLong(24, length);
        return libc.writev(fd, iov.address(), 2) - VirtioNetHeader.LENGTH;
    }

    /**
     * Attaches the steering program of {@code steering} ({@link SteeringProgram}), loading it the
     * first time. Where it cannot be loaded or attached (no CAP_BPF or CAP_SYS_ADMIN, a kernel
     * without BPF or TUNSETSTEERINGEBPF), detaches whatever program is there and says in one log
     * line what that means: the kernel's own flow table then steers, each flow to the queue it
     * was last written on. With one queue there is nothing to steer.
     */
    @Override
    public synchronized void steer(Steering steering) {
        if (fds.length == 1 || fdsClosed) {
            return;
        }
        try {
            Program program = program(steering);
            attachProgram(program.fd());
            programAttached = true;
            this.steering = program.does();
            log.info("{} steering: {}", name, this.steering);
        } catch (IOException e) {
            detachProgram();
            this.steering = KERNEL_FLOW_TABLE + " (no eBPF: " + e.getMessage() + ")";
            log.warn("{} steering: cannot use the {} program ({}; loading one needs CAP_BPF or CAP_SYS_ADMIN and a kernel"
                    + " with BPF): falling"
                    + " back to the kernel's TUN flow table, which sends each flow to the queue the stack last wrote"
                    + " it on. {}", name, steering == Steering.FLOW ? "flow" : "sending-CPU", e.getMessage(),
                    steering == Steering.FLOW ? "Flow affinity is unchanged."
                            : "Each connection then stays on one queue: its ACK and its RST or FIN are never"
                                    + " processed at once, so the FIN/ACK race (stack/BEHAVIOURS.md 1) does not happen;"
                                    + " affinity spray still makes it happen.");
        }
    }

    @Override
    public String steering() {
        return steering;
    }

    /** A loaded steering program and what it does, in words. */
    private record Program(int fd, String does) {
    }

    private Program program(Steering steering) throws IOException {
        Program p = programs[steering.ordinal()];
        if (p == null) {
            int n = fds.length;
            p = switch (steering) {
                case FLOW -> new Program(SteeringProgram.load(SteeringProgram.flow(n), libc, runtime),
                        "queue = flow hash mod " + n + " (eBPF)");
                case DATA_BY_FLOW -> new Program(SteeringProgram.load(SteeringProgram.dataByFlow(n), libc, runtime),
                        "queue = flow hash mod " + n + " for TCP data, sending CPU mod " + n + " for the rest (eBPF)");
                case SENDING_CPU -> new Program(SteeringProgram.load(SteeringProgram.sendingCpu(n), libc, runtime),
                        "queue = sending CPU mod " + n + " (eBPF)");
            };
            programs[steering.ordinal()] = p;
        }
        return p;
    }

    private void attachProgram(int program) throws IOException {
        Pointer fd = Memory.allocateDirect(runtime, 4, true);
        fd.putInt(0, program);
        if (libc.ioctl(fds[0], SteeringProgram.TUNSETSTEERINGEBPF, fd) < 0) {
            throw failure("TUNSETSTEERINGEBPF", runtime, libc);
        }
    }

    /** Detaches our program, so that a device that outlives us steers as the kernel does. */
    private void detachProgram() {
        if (programAttached) {
            try {
                attachProgram(-1);
            } catch (IOException e) {
                log.warn("{}: detaching the steering program: {}", name, e.getMessage());
            }
            programAttached = false;
        }
    }

    /**
     * Keeps reader {@code queue} on the CPUs whose packets the sending-CPU program puts on its
     * queue (CPU mod queues = queue), within the CPUs the process may use: a packet is then
     * processed on the CPU that sent it (with as many queues as CPUs), or on one congruent to it,
     * as each CPU's NAPI poll runs that CPU's backlog on Linux. Where no allowed CPU fits, the
     * reader runs anywhere.
     */
    private void pinReader(int queue) {
        if (fds.length == 1) {
            return;
        }
        Pointer mask = Memory.allocateDirect(runtime, CPU_SET_BYTES, true);
        if (libc.sched_getaffinity(0, CPU_SET_BYTES, mask) < 0) {
            log.warn("{} queue {}: sched_getaffinity: {}", name, queue, libc.strerror(runtime.getLastError()));
            return;
        }
        boolean any = false;
        for (int cpu = 0; cpu < CPU_SET_BYTES * 8; cpu++) {
            byte bits = mask.getByte(cpu / 8);
            int bit = 1 << (cpu % 8);
            if ((bits & bit) != 0 && cpu % fds.length != queue) {
                mask.putByte(cpu / 8, (byte) (bits & ~bit)); // allowed, but another queue's CPU
            }
            any |= (bits & bit) != 0 && cpu % fds.length == queue;
        }
        if (!any) {
            log.info("{} queue {}: no allowed CPU is {} mod {}; its reader runs on any", name, queue, queue, fds.length);
        } else if (libc.sched_setaffinity(0, CPU_SET_BYTES, mask) < 0) {
            log.warn("{} queue {}: sched_setaffinity: {}", name, queue, libc.strerror(runtime.getLastError()));
        }
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
            readers[q] = new FastThreadLocalThread(() -> readLoop(queue), "tun-rx-" + q);
            readers[q].setDaemon(true);
            readers[q].start();
        }
    }

    private void readLoop(int queue) {
        pinReader(queue);
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
            while (!closed) {
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
                for (int i = 0; i < READ_BUDGET && !closed; i++) {
                    long n = libc.read(fd, address, READ_BUFFER);
                    if (n <= 0) {
                        break;
                    }
                    rxPackets.increment();
                    if (n <= start) {
                        rxUnsupported.increment();
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
                        rxHandlerErrors.increment();
                        log.warn("queue {}: packet handler failed", queue, e);
                    }
                }
                if (delivered > 0) {
                    receiver.endOfBurst(queue);
                    spinUntil = System.nanoTime() + busyPollNanos;
                }
            }
        } finally {
            buf.release();
        }
    }

    /** Fills partial checksums of a packet read with its virtio-net header; false if it must be dropped. */
    private boolean completeOffloads(ByteBuf buf, int index, int length) {
        switch (VirtioNetHeader.complete(buf, index, length)) {
            case SUPER -> rxSuperPackets.increment();
            case UNSUPPORTED -> {
                rxUnsupported.increment();
                return false;
            }
            default -> {
            }
        }
        return true;
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
            detachProgram();
            fdsClosed = true;
            for (int fd : fds) {
                libc.close(fd);
            }
            for (Program program : programs) {
                if (program != null) {
                    libc.close(program.fd());
                }
            }
            libc.close(wakeFd);
        }
        log.info("detached {} queue(s) from {}", fds.length, name);
    }
}
