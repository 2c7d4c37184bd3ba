package io.tcpstack.drill;

import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.drill.Syscalls.Call;
import io.tcpstack.drill.Syscalls.Result;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The BSD socket calls of a script on the stack's socket API, with Linux's return values and
 * errno (net/ipv4/af_inet.c, tcp.c): a file descriptor table of sockets that become a listener
 * or a connection. A call on a blocking socket that cannot finish yet is retried by the target
 * after every packet and timer until it can.
 */
final class StackSockets {
    private static final int EAGAIN = 11;
    private static final byte[] ZEROS = new byte[65536];
    private static final byte[] SINK = new byte[65536];

    private final TcpStack stack;
    private final int remote;
    private final int port;
    private final LongSupplier now;
    private final Map<Integer, StackSocket> fds = new HashMap<>();
    private int nextFd = 3;

    /** A call in progress on virtual time; finished when {@link #result()} is set. */
    final class Attempt implements Target.Pending {
        private final Call call;
        private final long startedMicros;
        private int done;
        private Result result;

        Attempt(Call call) {
            this.call = call;
            this.startedMicros = now.getAsLong();
        }

        @Override
        public Result result() {
            return result;
        }

        /** Tries again; returns the result once finished. */
        Result retry() {
            if (result == null) {
                try {
                    Long r = attempt(this);
                    if (r != null) {
                        result = new Result(r, 0, values, now.getAsLong());
                    }
                } catch (Errno e) {
                    result = new Result(-1, e.errno, null, now.getAsLong());
                }
            }
            return result;
        }

        long[] values;
    }

    StackSockets(TcpStack stack, int remote, int port, LongSupplier now) {
        this.stack = stack;
        this.remote = remote;
        this.port = port;
        this.now = now;
    }

    Attempt start(Call call) throws Target.UnsupportedFeature {
        StackSocketOptions.check(call);
        Attempt a = new Attempt(call);
        a.retry();
        return a;
    }

    private StackSocket sock(int fd) throws Errno {
        StackSocket s = fds.get(fd);
        if (s == null) {
            throw new Errno(9); // EBADF
        }
        return s;
    }

    /** One try: the return value, null when a blocking call must wait, or an errno. */
    private Long attempt(Attempt at) throws Errno {
        Call c = at.call;
        switch (c.op()) {
            case SOCKET -> {
                int fd = nextFd++;
                fds.put(fd, new StackSocket());
                return (long) fd;
            }
            case BIND -> {
                StackSocket s = sock(c.fd());
                if (s.bound) {
                    throw new Errno(22); // EINVAL
                }
                s.bound = true;
                return 0L;
            }
            case LISTEN -> {
                StackSocket s = sock(c.fd());
                if (s.connection != null) {
                    throw new Errno(22);
                }
                if (s.listener == null) {
                    try {
                        s.listener = stack.listen(port, (int) Math.max(c.a(), 1));
                    } catch (IOException e) {
                        throw new Errno(98); // EADDRINUSE
                    }
                }
                return 0L;
            }
            case ACCEPT -> {
                StackSocket s = sock(c.fd());
                if (s.listener == null) {
                    throw new Errno(22);
                }
                Connection conn = s.accepted.isEmpty() ? s.listener.poll() : s.accepted.poll();
                if (conn == null) {
                    if (s.nonBlocking) {
                        throw new Errno(EAGAIN);
                    }
                    return null;
                }
                StackSocket child = new StackSocket();
                child.connection = conn;
                child.noDelay = s.noDelay;
                child.keepAlive = s.keepAlive;
                child.lingerZero = s.lingerZero;
                System.arraycopy(s.keep, 0, child.keep, 0, 3);
                child.applyOptions();
                int fd = nextFd++;
                fds.put(fd, child);
                return (long) fd;
            }
            case CONNECT -> {
                return connect(sock(c.fd()), at);
            }
            case READ -> {
                return read(sock(c.fd()), c);
            }
            case WRITE -> {
                return write(sock(c.fd()), c, at);
            }
            case CLOSE -> {
                StackSocket s = fds.remove(c.fd());
                if (s == null) {
                    throw new Errno(9);
                }
                if (s.listener != null) {
                    s.listener.close();
                }
                if (s.connection != null) {
                    s.connection.close();
                }
                return 0L;
            }
            case SHUTDOWN -> {
                StackSocket s = sock(c.fd());
                if (s.connection == null || !s.connection.state().isSynchronized() && s.connection.state() != TcpState.SYN_RECEIVED) {
                    throw new Errno(107); // ENOTCONN
                }
                if (c.a() == 0 || c.a() == 2) {
                    s.readShutdown = true;
                }
                if (c.a() == 1 || c.a() == 2) {
                    s.writeShutdown = true;
                    s.connection.shutdownOutput();
                }
                return 0L;
            }
            case GETFL -> {
                return sock(c.fd()).nonBlocking ? 0x802L : 0x2L;
            }
            case SETFL -> {
                sock(c.fd()).nonBlocking = (c.a() & 0x800) != 0;
                return 0L;
            }
            case SETSOCKOPT -> {
                StackSocketOptions.set(sock(c.fd()), c);
                return 0L;
            }
            case GETSOCKOPT -> {
                at.values = StackSocketOptions.get(sock(c.fd()), c, stack.settings());
                return 0L;
            }
            case POLL -> {
                return poll(c, at);
            }
            default -> throw new IllegalStateException(c.op().name());
        }
    }

    private Long connect(StackSocket s, Attempt at) throws Errno {
        if (s.listener != null) {
            throw new Errno(22);
        }
        if (s.connection == null) {
            try {
                s.connection = stack.open(remote, port, s.bound ? port : 0);
            } catch (IOException e) {
                throw new Errno(99); // EADDRNOTAVAIL
            }
            s.applyOptions();
            if (s.nonBlocking) {
                throw new Errno(115); // EINPROGRESS
            }
        } else if (at.done == 0 && s.nonBlocking) {
            // a later connect() on a non-blocking socket: Linux __inet_stream_connect
            TcpState state = s.connection.state();
            if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
                throw new Errno(114); // EALREADY
            }
            TcpError e = s.takeError();
            if (e != null) {
                throw new Errno(Errno.of(e));
            }
            throw new Errno(106); // EISCONN
        }
        at.done = 1;
        TcpState state = s.connection.state();
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            return null;
        }
        TcpError e = s.takeError();
        if (e != null) {
            throw new Errno(Errno.of(e));
        }
        return 0L;
    }

    private Long read(StackSocket s, Call c) throws Errno {
        Connection conn = s.connection;
        if (conn == null) {
            throw new Errno(107);
        }
        boolean dontWait = s.nonBlocking || (c.b() & 0x40) != 0;
        int length = (int) Math.min(c.a(), Integer.MAX_VALUE);
        if (length == 0) {
            return 0L;
        }
        long total = 0;
        try {
            while (total < length) {
                int n = conn.readNow(SINK, 0, (int) Math.min(length - total, SINK.length));
                if (n <= 0) {
                    if (n < 0 && total == 0) {
                        return 0L;
                    }
                    break;
                }
                total += n;
            }
        } catch (TcpException e) {
            TcpError err = s.takeError();
            if (total > 0) {
                return total;
            }
            if (err != null) {
                throw new Errno(Errno.of(err));
            }
            return 0L;
        }
        if (total > 0) {
            return total;
        }
        if (s.readShutdown || conn.state() == TcpState.CLOSED) {
            return 0L;
        }
        if (conn.state() == TcpState.SYN_SENT && dontWait) {
            throw new Errno(EAGAIN);
        }
        if (dontWait) {
            throw new Errno(EAGAIN);
        }
        return null;
    }

    private Long write(StackSocket s, Call c, Attempt at) throws Errno {
        Connection conn = s.connection;
        if (conn == null) {
            throw new Errno(s.listener != null ? 107 : 32);
        }
        boolean dontWait = s.nonBlocking || (c.b() & 0x40) != 0;
        long length = c.a();
        TcpError err = s.takeError();
        if (err != null) {
            throw new Errno(Errno.of(err));
        }
        if (s.writeShutdown) {
            throw new Errno(32); // EPIPE
        }
        if (conn.state() == TcpState.SYN_SENT || conn.state() == TcpState.SYN_RECEIVED) {
            if (dontWait) {
                throw new Errno(EAGAIN);
            }
            return null;
        }
        try {
            while (at.done < length) {
                int n = conn.writeNow(ZEROS, 0, (int) Math.min(length - at.done, ZEROS.length));
                if (n <= 0) {
                    break;
                }
                at.done += n;
            }
        } catch (TcpException e) {
            if (at.done > 0) {
                return (long) at.done;
            }
            TcpError later = s.takeError();
            throw new Errno(later != null ? Errno.of(later) : 32);
        }
        if (at.done == length || (dontWait && at.done > 0)) {
            return (long) at.done;
        }
        if (dontWait) {
            throw new Errno(EAGAIN);
        }
        return null;
    }

    /** Linux tcp_poll and inet_csk_listen_poll: the revents of each pollfd; blocks until one is set or the timeout. */
    private Long poll(Call c, Attempt at) {
        int[] p = c.polls();
        long[] revents = new long[p.length / 2];
        int ready = 0;
        for (int i = 0; i < revents.length; i++) {
            StackSocket s = fds.get(p[2 * i]);
            revents[i] = (s == null ? 0x20 : s.events()) & (p[2 * i + 1] | 0x8 | 0x10 | 0x20); // 0x20: POLLNVAL
            if (revents[i] != 0) {
                ready++;
            }
        }
        at.values = revents;
        if (ready > 0 || c.a() == 0 || (c.a() > 0 && now.getAsLong() >= at.startedMicros + c.a() * 1000)) {
            return (long) ready;
        }
        return null;
    }

    void closeAll() {
        for (StackSocket s : fds.values()) {
            if (s.connection != null) {
                s.connection.abort();
            }
            if (s.listener != null) {
                s.listener.close();
            }
        }
        fds.clear();
    }
}
