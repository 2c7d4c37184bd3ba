package io.tcpstack.drill;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** The libc calls the kernel target makes: sockets, poll, setns and the TUN device. errno through Runtime.getLastError(). */
public interface KernelLibC {
    KernelLibC INSTANCE = LibraryLoader.create(KernelLibC.class).load("c");

    int open(String path, int flags);

    int close(int fd);

    int setns(int fd, int nstype);

    int ioctl(int fd, long request, Pointer arg);

    int socket(int domain, int type, int protocol);

    int bind(int fd, Pointer addr, int length);

    int listen(int fd, int backlog);

    int accept(int fd, Pointer addr, Pointer length);

    int connect(int fd, Pointer addr, int length);

    @ssize_t
    long read(int fd, Pointer buf, @size_t long count);

    @ssize_t
    long write(int fd, Pointer buf, @size_t long count);

    @ssize_t
    long recv(int fd, Pointer buf, @size_t long count, int flags);

    @ssize_t
    long send(int fd, Pointer buf, @size_t long count, int flags);

    int shutdown(int fd, int how);

    int fcntl(int fd, int cmd, int arg);

    int setsockopt(int fd, int level, int name, Pointer value, int length);

    int getsockopt(int fd, int level, int name, Pointer value, Pointer length);

    int poll(Pointer fds, long nfds, int timeoutMillis);

    String strerror(int errno);
}
