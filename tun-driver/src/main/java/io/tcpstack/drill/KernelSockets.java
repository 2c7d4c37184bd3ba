package io.tcpstack.drill;

import io.tcpstack.drill.Syscalls.Call;
import io.tcpstack.drill.Syscalls.Result;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** A script's system calls on kernel sockets (run on the thread inside the namespace). */
final class KernelSockets {
    private final KernelLibC c;
    private final Runtime runtime;
    private final int local;
    private final int remote;
    private final int port;
    private final LongSupplier now;
    private final Set<Integer> open = new HashSet<>();
    private final Pointer data;

    KernelSockets(KernelLibC c, Runtime runtime, int local, int remote, int port, LongSupplier now) {
        this.c = c;
        this.runtime = runtime;
        this.local = local;
        this.remote = remote;
        this.port = port;
        this.now = now;
        this.data = Memory.allocateDirect(runtime, 1 << 20);
        warmUp();
    }

    /** Each libc call once on a bad descriptor: its first call binds it (milliseconds), not the script's. */
    private void warmUp() {
        Pointer p = Memory.allocateDirect(runtime, 16);
        c.bind(-1, p, 16);
        c.listen(-1, 1);
        c.accept(-1, p, p);
        c.connect(-1, p, 16);
        c.recv(-1, p, 1, 0);
        c.send(-1, p, 1, 0);
        c.shutdown(-1, 0);
        c.fcntl(-1, 3, 0);
        c.setsockopt(-1, 1, 2, p, 4);
        c.getsockopt(-1, 1, 2, p, p);
        c.poll(p, 0, 0);
        runtime.getLastError();
    }

    private Pointer sockaddr(int address) {
        Pointer sa = Memory.allocateDirect(runtime, 16);
        sa.putShort(0, (short) 2);
        sa.putByte(2, (byte) (port >> 8));
        sa.putByte(3, (byte) port);
        sa.putByte(4, (byte) (address >>> 24));
        sa.putByte(5, (byte) (address >>> 16));
        sa.putByte(6, (byte) (address >>> 8));
        sa.putByte(7, (byte) address);
        return sa;
    }

    Result execute(Call call) {
        long[] values = null;
        long ret;
        switch (call.op()) {
            case SOCKET -> ret = c.socket(2, 1, 6);
            case BIND -> ret = c.bind(call.fd(), sockaddr(0), 16);
            case LISTEN -> ret = c.listen(call.fd(), (int) call.a());
            case ACCEPT -> {
                Pointer len = Memory.allocateDirect(runtime, 4);
                len.putInt(0, 16);
                ret = c.accept(call.fd(), Memory.allocateDirect(runtime, 16), len);
            }
            case CONNECT -> ret = c.connect(call.fd(), sockaddr(remote), 16);
            case READ -> ret = c.recv(call.fd(), data, Math.min(call.a(), data.size()), (int) call.b());
            case WRITE -> ret = c.send(call.fd(), data, Math.min(call.a(), data.size()), (int) call.b() | 0x4000);
            case CLOSE -> ret = c.close(call.fd());
            case SHUTDOWN -> ret = c.shutdown(call.fd(), (int) call.a());
            case GETFL -> ret = c.fcntl(call.fd(), 3, 0);
            case SETFL -> ret = c.fcntl(call.fd(), 4, (int) call.a());
            case SETSOCKOPT -> {
                Pointer v = Memory.allocateDirect(runtime, 8);
                for (int i = 0; i < call.value().length; i++) {
                    v.putInt(4L * i, (int) call.value()[i]);
                }
                ret = c.setsockopt(call.fd(), (int) call.a(), (int) call.b(), v, 4 * call.value().length);
            }
            case GETSOCKOPT -> {
                Pointer v = Memory.allocateDirect(runtime, 256);
                Pointer len = Memory.allocateDirect(runtime, 4);
                len.putInt(0, 256);
                ret = c.getsockopt(call.fd(), (int) call.a(), (int) call.b(), v, len);
                int n = Math.min(len.getInt(0), 256) / 4;
                values = new long[Math.max(n, 1)];
                for (int i = 0; i < n; i++) {
                    values[i] = v.getInt(4L * i);
                }
            }
            case POLL -> {
                int[] p = call.polls();
                int n = p.length / 2;
                Pointer fds = Memory.allocateDirect(runtime, Math.max(8, 8 * n));
                for (int i = 0; i < n; i++) {
                    fds.putInt(8L * i, p[2 * i]);
                    fds.putShort(8L * i + 4, (short) p[2 * i + 1]);
                    fds.putShort(8L * i + 6, (short) 0);
                }
                ret = c.poll(fds, n, (int) call.a());
                values = new long[n];
                for (int i = 0; i < n; i++) {
                    values[i] = fds.getShort(8L * i + 6) & 0xffff;
                }
            }
            default -> throw new IllegalStateException(call.op().name());
        }
        int errno = ret < 0 ? runtime.getLastError() : 0;
        if (ret >= 0 && (call.op() == Syscalls.Op.SOCKET || call.op() == Syscalls.Op.ACCEPT)) {
            open.add((int) ret);
        }
        if (call.op() == Syscalls.Op.CLOSE && ret == 0) {
            open.remove(call.fd());
        }
        return new Result(ret, errno, values, now.getAsLong());
    }

    void closeAll() {
        for (int fd : open) {
            c.close(fd);
        }
        open.clear();
    }
}
