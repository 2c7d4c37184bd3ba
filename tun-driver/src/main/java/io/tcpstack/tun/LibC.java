package io.tcpstack.tun;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls the TUN driver needs that jnr-posix lacks (ioctl, poll, eventfd, bpf, CPU affinity), plus
 * read/write on raw addresses: with a direct buffer's memory address they cost what they cost
 * from C (shared/design/JAVA.md).
 */
public interface LibC {
    LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

    int O_RDWR = 0x2;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;
    int EFD_CLOEXEC = 0x80000;
    int EFD_NONBLOCK = 0x800;
    short POLLIN = 0x1;
    int EAGAIN = 11;
    int EINTR = 4;

    int open(String path, int flags);

    int close(int fd);

    int ioctl(int fd, long request, Pointer arg);

    /** ioctl with an argument passed by value (TUNSETOFFLOAD). */
    int ioctl(int fd, long request, long arg);

    int poll(Pointer fds, long nfds, int timeoutMillis);

    int eventfd(int initval, int flags);

    @IgnoreError
    @ssize_t
    long read(int fd, long address, @size_t long count);

    @IgnoreError
    @ssize_t
    long write(int fd, long address, @size_t long count);

    /** writev(2) with {@code iov} the address of {@code count} struct iovec {void *base; size_t len}. */
    @IgnoreError
    @ssize_t
    long writev(int fd, long iov, int count);

    /** syscall(2) with three arguments: bpf(2), which glibc does not wrap. */
    long syscall(long number, long arg1, long arg2, long arg3);

    /**
     * syscall(2) with six arguments: io_uring_enter(2), which glibc does not wrap, and mmap(2)
     * (glibc's mmap through jnr-ffi receives a garbled offset and fails with EINVAL).
     */
    long syscall(long number, long arg1, long arg2, long arg3, long arg4, long arg5, long arg6);

    /** sched_getaffinity(2): pid 0 is the calling thread; {@code mask} a cpu_set_t of {@code size} bytes. */
    int sched_getaffinity(int pid, @size_t long size, Pointer mask);

    int sched_setaffinity(int pid, @size_t long size, Pointer mask);

    String strerror(int errno);

    int SIGHUP = 1;
    long SIG_DFL = 0;

    /** signal(2): sets {@code signum}'s disposition ({@link #SIG_DFL}); returns the previous one (1: ignored). */
    long signal(int signum, long handler);
}
