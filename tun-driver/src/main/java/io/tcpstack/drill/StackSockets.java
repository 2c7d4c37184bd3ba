package io.tcpstack.drill;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.drill.Syscalls.Call;
import io.tcpstack.drill.Syscalls.Result;
import io.tcpstack.profile.TcpSettings;
import java.io.IOException;
import java.util.ArrayDeque;
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
    private final Map<Integer, Sock> fds = new HashMap<>();
    private int nextFd = 3;

    /** One socket: options set on it, then a listener or a connection. */
    private static final class Sock {
        boolean nonBlocking;
        boolean bound;
        boolean noDelay;
        boolean keepAlive;
        boolean lingerZero;
        long lingerOn;
        long lingerSeconds;
        /** TCP_KEEPIDLE (s), TCP_KEEPINTVL (s), TCP_KEEPCNT; 0 until set: the sysctls'. */
        final int[] keep = new int[3];
        TcpServerSocket listener;
        Connection connection;
        /** The error not yet reported (Linux sk_err): a call or SO_ERROR takes it. */
        TcpError pendingError;
        boolean errorSeen;
        boolean readShutdown;
        boolean writeShutdown;
        final ArrayDeque<Connection> accepted = new ArrayDeque<>();
    }

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

    /** A call failed with this errno. */
    private static final class Errno extends Exception {
        final int errno;

        Errno(int errno) {
            super(Syscalls.errnoName(errno), null, false, false);
            this.errno = errno;
        }
    }

    StackSockets(TcpStack stack, int remote, int port, LongSupplier now) {
        this.stack = stack;
        this.remote = remote;
        this.port = port;
        this.now = now;
    }

    Attempt start(Call call) throws Target.UnsupportedFeature {
        check(call);
        Attempt a = new Attempt(call);
        a.retry();
        return a;
    }

    /** What the stack's socket API has no form for. */
    private static void check(Call c) throws Target.UnsupportedFeature {
        if (c.op() == Syscalls.Op.SETSOCKOPT || c.op() == Syscalls.Op.GETSOCKOPT) {
            String option = c.a() + "/" + c.b();
            boolean known = switch (option) {
                // SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER, SO_REUSEPORT, TCP_NODELAY, TCP_KEEPIDLE/INTVL/CNT
                case "1/2", "1/9", "1/13", "1/15", "6/1", "6/4", "6/5", "6/6" -> true;
                case "1/4" -> c.op() == Syscalls.Op.GETSOCKOPT; // SO_ERROR
                default -> false;
            };
            if (option.equals("1/13") && c.op() == Syscalls.Op.SETSOCKOPT && c.value()[0] != 0
                    && c.value().length > 1 && c.value()[1] != 0) {
                throw new Target.UnsupportedFeature("SO_LINGER with a time other than 0");
            }
            if (!known) {
                throw new Target.UnsupportedFeature((c.op() == Syscalls.Op.SETSOCKOPT ? "setsockopt" : "getsockopt")
                        + " " + optionName(c.a(), c.b()));
            }
        }
    }

    private static String optionName(long level, long name) {
        return Syscalls.CONSTANTS.entrySet().stream()
                .filter(e -> e.getValue() == name && e.getKey().startsWith(level == 1 ? "SO_" : "TCP_"))
                .map(Map.Entry::getKey).findFirst().orElse("level " + level + " option " + name);
    }

    private Sock sock(int fd) throws Errno {
        Sock s = fds.get(fd);
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
                fds.put(fd, new Sock());
                return (long) fd;
            }
            case BIND -> {
                Sock s = sock(c.fd());
                if (s.bound) {
                    throw new Errno(22); // EINVAL
                }
                s.bound = true;
                return 0L;
            }
            case LISTEN -> {
                Sock s = sock(c.fd());
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
                Sock s = sock(c.fd());
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
                Sock child = new Sock();
                child.connection = conn;
                child.noDelay = s.noDelay;
                child.keepAlive = s.keepAlive;
                child.lingerZero = s.lingerZero;
                System.arraycopy(s.keep, 0, child.keep, 0, 3);
                applyOptions(child);
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
                Sock s = fds.remove(c.fd());
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
                Sock s = sock(c.fd());
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
                return setsockopt(sock(c.fd()), c);
            }
            case GETSOCKOPT -> {
                return getsockopt(sock(c.fd()), c, at);
            }
            case POLL -> {
                return poll(c, at);
            }
            default -> throw new IllegalStateException(c.op().name());
        }
    }

    private Long connect(Sock s, Attempt at) throws Errno {
        if (s.listener != null) {
            throw new Errno(22);
        }
        if (s.connection == null) {
            try {
                s.connection = stack.open(remote, port, s.bound ? port : 0);
            } catch (IOException e) {
                throw new Errno(99); // EADDRNOTAVAIL
            }
            applyOptions(s);
            if (s.nonBlocking) {
                throw new Errno(115); // EINPROGRESS
            }
        } else if (at.done == 0 && s.nonBlocking) {
            // a later connect() on a non-blocking socket: Linux __inet_stream_connect
            TcpState state = s.connection.state();
            if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
                throw new Errno(114); // EALREADY
            }
            TcpError e = takeError(s);
            if (e != null) {
                throw new Errno(errno(e));
            }
            throw new Errno(106); // EISCONN
        }
        at.done = 1;
        TcpState state = s.connection.state();
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            return null;
        }
        TcpError e = takeError(s);
        if (e != null) {
            throw new Errno(errno(e));
        }
        return 0L;
    }

    private void applyOptions(Sock s) {
        s.connection.setNoDelay(s.noDelay);
        if (s.keepAlive) {
            s.connection.setKeepAlive(true);
        }
        s.connection.setLingerZero(s.lingerZero);
        s.connection.setKeepAliveTimes(s.keep[0], s.keep[1], s.keep[2]);
    }

    /** Linux sock_error: the pending error is reported once. */
    private static TcpError takeError(Sock s) {
        TcpError e = s.connection == null ? null : s.connection.error();
        if (e == null || s.errorSeen) {
            return null;
        }
        s.errorSeen = true;
        return e;
    }

    private static int errno(TcpError e) {
        return switch (e) {
            case CONNECTION_REFUSED -> 111;
            case CONNECTION_RESET -> 104;
            case TIMED_OUT -> 110;
            case ABORTED -> 103;
            case BROKEN_PIPE -> 32;
        };
    }

    private Long read(Sock s, Call c) throws Errno {
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
            TcpError err = takeError(s);
            if (total > 0) {
                return total;
            }
            if (err != null) {
                throw new Errno(errno(err));
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

    private Long write(Sock s, Call c, Attempt at) throws Errno {
        Connection conn = s.connection;
        if (conn == null) {
            throw new Errno(s.listener != null ? 107 : 32);
        }
        boolean dontWait = s.nonBlocking || (c.b() & 0x40) != 0;
        long length = c.a();
        TcpError err = takeError(s);
        if (err != null) {
            throw new Errno(errno(err));
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
            TcpError later = takeError(s);
            throw new Errno(later != null ? errno(later) : 32);
        }
        if (at.done == length || (dontWait && at.done > 0)) {
            return (long) at.done;
        }
        if (dontWait) {
            throw new Errno(EAGAIN);
        }
        return null;
    }

    private Long setsockopt(Sock s, Call c) throws Errno {
        long v = c.value()[0];
        switch ((int) (c.a() * 100 + c.b())) {
            case 601 -> {
                s.noDelay = v != 0;
                if (s.connection != null) {
                    s.connection.setNoDelay(s.noDelay);
                }
            }
            case 109 -> {
                s.keepAlive = v != 0;
                if (s.connection != null) {
                    s.connection.setKeepAlive(s.keepAlive);
                }
            }
            case 113 -> {
                s.lingerOn = v;
                s.lingerSeconds = c.value().length > 1 ? c.value()[1] : 0;
                s.lingerZero = v != 0;
                if (s.connection != null) {
                    s.connection.setLingerZero(s.lingerZero);
                }
            }
            case 604, 605, 606 -> {
                // Linux do_tcp_setsockopt: TCP_KEEPIDLE/KEEPINTVL 1..32767 s, TCP_KEEPCNT 1..127
                int which = (int) c.b() - 4;
                if (v < 1 || v > (which == 2 ? 127 : 32767)) {
                    throw new Errno(22);
                }
                s.keep[which] = (int) v;
                if (s.connection != null) {
                    s.connection.setKeepAliveTimes(s.keep[0], s.keep[1], s.keep[2]);
                }
            }
            default -> {
            }
        }
        return 0L;
    }

    private Long getsockopt(Sock s, Call c, Attempt at) throws Errno {
        switch ((int) (c.a() * 100 + c.b())) {
            case 104 -> {
                TcpError e = takeError(s);
                at.values = new long[] {e == null ? 0 : errno(e)};
            }
            case 601 -> at.values = new long[] {s.noDelay ? 1 : 0};
            case 109 -> at.values = new long[] {s.keepAlive ? 1 : 0};
            case 113 -> at.values = new long[] {s.lingerOn, s.lingerSeconds};
            case 604, 605, 606 -> {
                int which = (int) c.b() - 4;
                TcpSettings t = stack.settings();
                long sysctl = which == 0 ? t.keepaliveTimeMs / 1000 : which == 1 ? t.keepaliveIntvlMs / 1000
                        : t.keepaliveProbes;
                at.values = new long[] {s.keep[which] > 0 ? s.keep[which] : sysctl};
            }
            default -> at.values = new long[] {0};
        }
        return 0L;
    }

    /** Linux tcp_poll and inet_csk_listen_poll: the revents of each pollfd; blocks until one is set or the timeout. */
    private Long poll(Call c, Attempt at) {
        int[] p = c.polls();
        long[] revents = new long[p.length / 2];
        int ready = 0;
        for (int i = 0; i < revents.length; i++) {
            revents[i] = events(fds.get(p[2 * i])) & (p[2 * i + 1] | 0x8 | 0x10 | 0x20);
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

    private long events(Sock s) {
        if (s == null) {
            return 0x20; // POLLNVAL
        }
        if (s.listener != null) {
            if (s.accepted.isEmpty()) {
                Connection c = s.listener.poll();
                if (c != null) {
                    s.accepted.add(c);
                }
            }
            return s.accepted.isEmpty() ? 0 : 0x1 | 0x40;
        }
        Connection c = s.connection;
        if (c == null) {
            return 0x4 | 0x10; // an unconnected socket: POLLOUT | POLLHUP
        }
        long mask = 0;
        TcpState state = c.state();
        boolean peerClosed = c.peerClosed() || s.readShutdown;
        if ((peerClosed && s.writeShutdown) || state == TcpState.CLOSED) {
            mask |= 0x10;
        }
        if (peerClosed || (state == TcpState.CLOSED && c.error() != null)) {
            mask |= 0x1 | 0x40 | 0x2000;
        }
        if (state != TcpState.SYN_SENT && state != TcpState.SYN_RECEIVED) {
            if (c.available() > 0) {
                mask |= 0x1 | 0x40;
            }
            if (!s.writeShutdown && state != TcpState.CLOSED) {
                if (c.sendSpace() > 0) {
                    mask |= 0x4 | 0x100;
                }
            } else {
                mask |= 0x4 | 0x100;
            }
        }
        if (c.error() != null && !s.errorSeen) {
            mask |= 0x8;
        }
        return mask;
    }

    void closeAll() {
        for (Sock s : fds.values()) {
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
