package io.tcpstack.tun;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * One io_uring instance (io_uring_setup(2)) used for one thing: a batch of write(2)s, submitted
 * and waited for with one io_uring_enter(2). A TUN write cannot carry two packets, so without it
 * every packet costs a system call (about 1 us on this VM); with it a burst costs one.
 *
 * <p>The layout of the rings and of a submission entry is include/uapi/linux/io_uring.h. The
 * kernel reads the SQ tail and writes the CQ tail concurrently with us: a release fence orders our
 * entries before the tail we publish, an acquire fence orders the completions after the tail we
 * read (liburing's io_uring_smp_store_release / io_uring_smp_load_acquire).
 *
 * <p>Not thread-safe: one thread at a time submits (its owner guarantees it).
 */
final class IoUring implements AutoCloseable {
    static final int SYS_IO_URING_SETUP = 425;
    static final int SYS_IO_URING_ENTER = 426;
    static final int SYS_MMAP = 9;
    static final int SYS_MUNMAP = 11;
    static final int IORING_OP_WRITE = 23;
    static final int IORING_ENTER_GETEVENTS = 1;
    static final int IORING_FEAT_SINGLE_MMAP = 1;
    static final long IORING_OFF_SQ_RING = 0L;
    static final long IORING_OFF_CQ_RING = 0x8000000L;
    static final long IORING_OFF_SQES = 0x10000000L;
    private static final int PARAMS_SIZE = 120;
    private static final int SQE_SIZE = 64;
    private static final int CQE_SIZE = 16;
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;

    private final LibC libc;
    private final Runtime runtime;
    private final int ringFd;
    private final long sqRing;
    private final long sqRingSize;
    private final long cqRing;
    private final long cqRingSize;
    private final long sqes;
    private final long sqesSize;
    private final Pointer sq;
    private final Pointer cq;
    private final Pointer sqe;
    private final int sqTailOffset;
    private final int sqMask;
    private final int cqHeadOffset;
    private final int cqTailOffset;
    private final int cqMask;
    private final int cqesOffset;
    /** Entries a batch may hold. */
    final int capacity;
    private int sqTail;
    private int cqHead;

    private IoUring(LibC libc, Runtime runtime, int ringFd, Pointer params, long sqRing, long sqRingSize, long cqRing,
            long cqRingSize, long sqes, long sqesSize) {
        this.libc = libc;
        this.runtime = runtime;
        this.ringFd = ringFd;
        this.sqRing = sqRing;
        this.sqRingSize = sqRingSize;
        this.cqRing = cqRing;
        this.cqRingSize = cqRingSize;
        this.sqes = sqes;
        this.sqesSize = sqesSize;
        this.capacity = params.getInt(0);
        this.sq = Pointer.wrap(runtime, sqRing, sqRingSize);
        this.cq = Pointer.wrap(runtime, cqRing, cqRingSize);
        this.sqe = Pointer.wrap(runtime, sqes, sqesSize);
        // struct io_sqring_offsets at 40: head, tail, ring_mask, ring_entries, flags, dropped, array (64)
        this.sqTailOffset = params.getInt(44);
        this.sqMask = sq.getInt(params.getInt(48));
        // struct io_cqring_offsets at 80: head, tail, ring_mask, ring_entries, overflow, cqes
        this.cqHeadOffset = params.getInt(80);
        this.cqTailOffset = params.getInt(84);
        this.cqMask = cq.getInt(params.getInt(88));
        this.cqesOffset = params.getInt(100);
        this.sqTail = sq.getInt(sqTailOffset);
        this.cqHead = cq.getInt(cqHeadOffset);
        // the SQ array maps ring index i to entry i, once: every submission uses it as it is
        int sqArrayOffset = params.getInt(64);
        for (int i = 0; i < capacity; i++) {
            sq.putInt(sqArrayOffset + 4L * i, i);
        }
    }

    /**
     * Sets up a ring of {@code entries} (a power of two) entries. Fails where io_uring is off
     * (kernel.io_uring_disabled, a seccomp filter, a kernel before 5.1).
     */
    static IoUring open(int entries, LibC libc, Runtime runtime) throws IOException {
        Pointer params = Memory.allocateDirect(runtime, PARAMS_SIZE, true);
        int fd = (int) libc.syscall(SYS_IO_URING_SETUP, entries, params.address(), 0);
        if (fd < 0) {
            throw TunDevice.failure("io_uring_setup", runtime, libc);
        }
        long sqSize = params.getInt(64) + 4L * params.getInt(0);
        long cqSize = params.getInt(100) + (long) CQE_SIZE * params.getInt(4);
        boolean single = (params.getInt(20) & IORING_FEAT_SINGLE_MMAP) != 0;
        long sqRing = -1;
        long cqRing = -1;
        long sqes = -1;
        long sqesSize = (long) SQE_SIZE * params.getInt(0);
        try {
            if (single) {
                sqSize = Math.max(sqSize, cqSize);
                cqSize = sqSize;
            }
            sqRing = map(libc, runtime, sqSize, fd, IORING_OFF_SQ_RING, "SQ ring");
            cqRing = single ? sqRing : map(libc, runtime, cqSize, fd, IORING_OFF_CQ_RING, "CQ ring");
            sqes = map(libc, runtime, sqesSize, fd, IORING_OFF_SQES, "SQEs");
            return new IoUring(libc, runtime, fd, params, sqRing, sqSize, cqRing, cqSize, sqes, sqesSize);
        } catch (IOException e) {
            release(libc, fd, sqRing, sqSize, cqRing, cqSize, sqes, sqesSize);
            throw e;
        }
    }

    /** Unmaps what was mapped (-1: not mapped; the CQ ring once if it is the SQ ring's mapping) and closes the ring. */
    private static void release(LibC libc, int fd, long sqRing, long sqSize, long cqRing, long cqSize, long sqes,
            long sqesSize) {
        unmap(libc, sqes, sqesSize);
        if (cqRing != sqRing) {
            unmap(libc, cqRing, cqSize);
        }
        unmap(libc, sqRing, sqSize);
        libc.close(fd);
    }

    private static long map(LibC libc, Runtime runtime, long size, int fd, long offset, String what) throws IOException {
        long address = libc.syscall(SYS_MMAP, 0, size, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, offset);
        if (address == -1) {
            throw TunDevice.failure("mmap io_uring " + what, runtime, libc);
        }
        return address;
    }

    private static void unmap(LibC libc, long address, long size) {
        if (address != -1) {
            libc.syscall(SYS_MUNMAP, address, size, 0);
        }
    }

    /**
     * Writes {@code count} (at most {@link #capacity}) buffers, {@code lengths[i]} bytes at
     * {@code addresses[i]} to {@code fds[i]}, in that order, and waits until the kernel completed
     * them all: {@code results[i]} is what write(2) would have returned, or -errno. Returns false
     * (and fills nothing) if io_uring_enter itself failed.
     */
    boolean writeAll(int count, int[] fds, long[] addresses, int[] lengths, long[] results) {
        for (int i = 0; i < count; i++) {
            int index = (sqTail + i) & sqMask;
            long entry = (long) index * SQE_SIZE;
            // only these fields are ever written, the rest stay as mmap left them: zero
            sqe.putByte(entry, (byte) IORING_OP_WRITE);
            sqe.putInt(entry + 4, fds[i]);
            sqe.putLong(entry + 8, -1L); // off -1: the file position, as write(2); a TUN fd has none
            sqe.putLong(entry + 16, addresses[i]);
            sqe.putInt(entry + 24, lengths[i]);
            sqe.putLong(entry + 32, i); // user_data: the packet's place in the batch
        }
        sqTail += count;
        VarHandle.releaseFence();
        sq.putInt(sqTailOffset, sqTail);
        int toSubmit = count;
        int completed = 0;
        while (completed < count) {
            long r = libc.syscall(SYS_IO_URING_ENTER, ringFd, toSubmit, count - completed, IORING_ENTER_GETEVENTS, 0, 0);
            if (r < 0) {
                if (runtime.getLastError() == LibC.EINTR) {
                    continue;
                }
                // after a partial submission the kernel holds the rest of our buffers: wait for them
                if (toSubmit == count) {
                    sqTail -= count; // nothing was consumed: take the entries back
                    VarHandle.releaseFence();
                    sq.putInt(sqTailOffset, sqTail);
                    return false;
                }
            } else {
                toSubmit -= (int) r;
            }
            completed += reap(results);
        }
        return true;
    }

    /** Takes every completion the kernel posted; returns how many. */
    private int reap(long[] results) {
        int tail = cq.getInt(cqTailOffset);
        VarHandle.acquireFence();
        int n = 0;
        while (cqHead != tail) {
            long cqe = cqesOffset + (long) (cqHead & cqMask) * CQE_SIZE;
            results[(int) cq.getLong(cqe)] = cq.getInt(cqe + 8);
            cqHead++;
            n++;
        }
        VarHandle.releaseFence();
        cq.putInt(cqHeadOffset, cqHead);
        return n;
    }

    @Override
    public void close() {
        release(libc, ringFd, sqRing, sqRingSize, cqRing, cqRingSize, sqes, sqesSize);
    }
}
