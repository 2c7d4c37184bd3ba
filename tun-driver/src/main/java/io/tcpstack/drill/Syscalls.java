package io.tcpstack.drill;

import io.tcpstack.drill.Script.Expr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The system calls a script may make, in a form both targets execute ({@link Call}), with Linux's
 * constants and errno names, and the checks of their results against the script.
 */
final class Syscalls {
    private Syscalls() {
    }

    enum Op { SOCKET, BIND, LISTEN, ACCEPT, CONNECT, READ, WRITE, CLOSE, SHUTDOWN, GETFL, SETFL, SETSOCKOPT,
        GETSOCKOPT, POLL }

    /**
     * One call, with the target's own file descriptors. {@code a}, {@code b}: length and flags,
     * level and option name, backlog, shutdown mode...; {@code value}: a socket option's value
     * (two for SO_LINGER); {@code polls}: fd and events pairs.
     */
    record Call(Op op, int fd, long a, long b, long[] value, int[] polls) {
        static Call of(Op op, int fd, long a, long b) {
            return new Call(op, fd, a, b, null, null);
        }
    }

    /** A finished call: its return value, errno (0 for none), values it filled in, when it returned. */
    record Result(long ret, int errno, long[] values, long atMicros) {
    }

    static final Map<String, Long> CONSTANTS = new HashMap<>();
    static final Map<String, Integer> ERRNO = new HashMap<>();

    static {
        Object[] pairs = {
            "AF_INET", 2L, "PF_INET", 2L, "AF_INET6", 10L, "SOCK_STREAM", 1L, "SOCK_DGRAM", 2L, "IPPROTO_TCP", 6L,
            "IPPROTO_UDP", 17L, "IPPROTO_IP", 0L, "SOL_SOCKET", 1L, "SOL_TCP", 6L, "SOL_IP", 0L,
            "SO_REUSEADDR", 2L, "SO_TYPE", 3L, "SO_ERROR", 4L, "SO_SNDBUF", 7L, "SO_RCVBUF", 8L,
            "SO_KEEPALIVE", 9L, "SO_LINGER", 13L, "SO_REUSEPORT", 15L, "TCP_NODELAY", 1L, "TCP_MAXSEG", 2L,
            "TCP_CORK", 3L, "TCP_KEEPIDLE", 4L, "TCP_KEEPINTVL", 5L, "TCP_KEEPCNT", 6L, "TCP_SYNCNT", 7L,
            "TCP_LINGER2", 8L, "TCP_INFO", 11L, "TCP_QUICKACK", 12L, "TCP_CONGESTION", 13L, "TCP_USER_TIMEOUT",
            18L, "O_RDONLY", 0L, "O_WRONLY", 1L, "O_RDWR", 2L, "O_NONBLOCK", 0x800L, "F_GETFL", 3L, "F_SETFL", 4L,
            "POLLIN", 0x1L, "POLLPRI", 0x2L, "POLLOUT", 0x4L, "POLLERR", 0x8L, "POLLHUP", 0x10L, "POLLNVAL",
            0x20L, "POLLRDNORM", 0x40L, "POLLWRNORM", 0x100L, "POLLRDHUP", 0x2000L, "SHUT_RD", 0L, "SHUT_WR", 1L,
            "SHUT_RDWR", 2L, "MSG_DONTWAIT", 0x40L, "MSG_PEEK", 0x2L, "MSG_MORE", 0x8000L, "MSG_ZEROCOPY",
            0x4000000L, "MSG_FASTOPEN", 0x20000000L, "MSG_EOR", 0x80L, "MSG_NOSIGNAL", 0x4000L, "MSG_WAITALL",
            0x100L, "MSG_TRUNC", 0x20L, "MSG_ERRQUEUE", 0x2000L,
            "TCP_ESTABLISHED", 1L, "TCP_SYN_SENT", 2L, "TCP_SYN_RECV", 3L, "TCP_FIN_WAIT1", 4L, "TCP_FIN_WAIT2", 5L,
            "TCP_TIME_WAIT", 6L, "TCP_CLOSE", 7L, "TCP_CLOSE_WAIT", 8L, "TCP_LAST_ACK", 9L, "TCP_LISTEN", 10L,
            "TCP_CLOSING", 11L,
        };
        for (int i = 0; i < pairs.length; i += 2) {
            CONSTANTS.put((String) pairs[i], (Long) pairs[i + 1]);
        }
        Object[] errnos = {"EPERM", 1, "ENOENT", 2, "EINTR", 4, "EBADF", 9, "EAGAIN", 11, "EWOULDBLOCK", 11,
            "ENOMEM", 12, "EFAULT", 14, "EINVAL", 22, "EPIPE", 32, "ENOTSOCK", 88, "EDESTADDRREQ", 89, "EMSGSIZE",
            90, "ENOPROTOOPT", 92, "EOPNOTSUPP", 95, "EADDRINUSE", 98, "EADDRNOTAVAIL", 99, "ENETUNREACH", 101,
            "ECONNABORTED", 103, "ECONNRESET", 104, "ENOBUFS", 105, "EISCONN", 106, "ENOTCONN", 107, "ETIMEDOUT",
            110, "ECONNREFUSED", 111, "EHOSTUNREACH", 113, "EALREADY", 114, "EINPROGRESS", 115};
        for (int i = 0; i < errnos.length; i += 2) {
            ERRNO.put((String) errnos[i], (Integer) errnos[i + 1]);
        }
    }

    static String errnoName(int errno) {
        return ERRNO.entrySet().stream().filter(e -> e.getValue() == errno && !e.getKey().equals("EWOULDBLOCK"))
                .map(Map.Entry::getKey).findFirst().orElse("errno " + errno);
    }

    /** The value of a constant expression: a number, a name, {@code A|B}, {@code htons(n)}. */
    static long value(Expr e) throws Target.UnsupportedFeature {
        if (e instanceof Expr.Num n) {
            return n.value();
        }
        if (e instanceof Expr.Word w) {
            Long v = CONSTANTS.get(w.name());
            if (v == null) {
                throw new Target.UnsupportedFeature("constant " + w.name());
            }
            return v;
        }
        if (e instanceof Expr.Or or) {
            long v = 0;
            for (Expr t : or.terms()) {
                v |= value(t);
            }
            return v;
        }
        if (e instanceof Expr.Array a && a.items().size() == 1) {
            return value(a.items().get(0));
        }
        if (e instanceof Expr.Call c && c.function().equals("htons") && c.args().size() == 1) {
            return value(c.args().get(0));
        }
        throw new Target.UnsupportedFeature("argument " + e);
    }

    /** Bytes moved by a data argument count, from an iovec list ({@code [{..., 100}, {..., 200}]}) or a number. */
    static long iovecBytes(Expr e) throws Target.UnsupportedFeature {
        if (e instanceof Expr.Array a) {
            long sum = 0;
            for (Expr item : a.items()) {
                sum += iovecBytes(item);
            }
            return sum;
        }
        if (e instanceof Expr.Struct s && s.positional().size() == 2) {
            return value(s.positional().get(1));
        }
        return value(e);
    }

    /** Converts a script call into a target call; {@code fds} maps script fds to the target's. */
    static Call toCall(Script.Syscall s, Map<Integer, Integer> fds) throws Target.UnsupportedFeature {
        List<Expr> a = s.args();
        switch (s.name()) {
            case "socket" -> {
                need(s, 3);
                long domain = value(a.get(0) instanceof Expr.Ellipsis ? new Expr.Word("AF_INET") : a.get(0));
                if (domain != 2 || value(a.get(1)) != 1 || (value(a.get(2)) != 6 && value(a.get(2)) != 0)) {
                    throw new Target.UnsupportedFeature("socket other than AF_INET SOCK_STREAM TCP");
                }
                return Call.of(Op.SOCKET, -1, 0, 0);
            }
            case "bind" -> {
                need(s, 3);
                requireDefaultAddress(a.get(1), "bind");
                return Call.of(Op.BIND, fd(a, fds), 0, 0);
            }
            case "listen" -> {
                need(s, 2);
                return Call.of(Op.LISTEN, fd(a, fds), value(a.get(1)), 0);
            }
            case "accept", "accept4" -> {
                if (s.name().equals("accept4") && a.size() > 3 && value(a.get(3)) != 0) {
                    throw new Target.UnsupportedFeature("accept4 flags");
                }
                return Call.of(Op.ACCEPT, fd(a, fds), 0, 0);
            }
            case "connect" -> {
                need(s, 3);
                requireDefaultAddress(a.get(1), "connect");
                return Call.of(Op.CONNECT, fd(a, fds), 0, 0);
            }
            case "read" -> {
                need(s, 3);
                return Call.of(Op.READ, fd(a, fds), value(a.get(2)), 0);
            }
            case "recv", "recvfrom" -> {
                need(s, 4);
                return Call.of(Op.READ, fd(a, fds), value(a.get(2)), dataFlags(s, value(a.get(3))));
            }
            case "write" -> {
                need(s, 3);
                return Call.of(Op.WRITE, fd(a, fds), value(a.get(2)), 0);
            }
            case "send", "sendto" -> {
                need(s, 4);
                return Call.of(Op.WRITE, fd(a, fds), value(a.get(2)), dataFlags(s, value(a.get(3))));
            }
            case "writev" -> {
                need(s, 3);
                return Call.of(Op.WRITE, fd(a, fds), iovecBytes(a.get(1)), 0);
            }
            case "readv" -> {
                need(s, 3);
                return Call.of(Op.READ, fd(a, fds), iovecBytes(a.get(1)), 0);
            }
            case "sendmsg" -> {
                need(s, 3);
                if (!(a.get(1) instanceof Expr.Struct m) || m.fields().containsKey("msg_control")
                        || !m.fields().containsKey("msg_iov")) {
                    throw new Target.UnsupportedFeature("sendmsg with ancillary data");
                }
                return Call.of(Op.WRITE, fd(a, fds), iovecBytes(m.fields().get("msg_iov")),
                        dataFlags(s, value(a.get(2))));
            }
            case "close" -> {
                need(s, 1);
                return Call.of(Op.CLOSE, fd(a, fds), 0, 0);
            }
            case "shutdown" -> {
                need(s, 2);
                return Call.of(Op.SHUTDOWN, fd(a, fds), value(a.get(1)), 0);
            }
            case "fcntl" -> {
                need(s, 2);
                long cmd = value(a.get(1));
                if (cmd == 3) {
                    return Call.of(Op.GETFL, fd(a, fds), 0, 0);
                }
                if (cmd == 4 && a.size() >= 3) {
                    return Call.of(Op.SETFL, fd(a, fds), value(a.get(2)), 0);
                }
                throw new Target.UnsupportedFeature("fcntl " + a.get(1));
            }
            case "setsockopt" -> {
                need(s, 4);
                long level = value(a.get(1));
                long name = value(a.get(2));
                long[] v;
                if (a.get(3) instanceof Expr.Struct st && st.fields().containsKey("onoff")) {
                    v = new long[] {value(st.fields().get("onoff")), value(st.fields().get("linger"))};
                } else if (a.get(3) instanceof Expr.Array || a.get(3) instanceof Expr.Num) {
                    v = new long[] {value(a.get(3))};
                } else {
                    throw new Target.UnsupportedFeature("setsockopt value " + a.get(3));
                }
                return new Call(Op.SETSOCKOPT, fd(a, fds), level, name, v, null);
            }
            case "getsockopt" -> {
                need(s, 4);
                return Call.of(Op.GETSOCKOPT, fd(a, fds), value(a.get(1)), value(a.get(2)));
            }
            case "poll" -> {
                need(s, 3);
                if (!(a.get(0) instanceof Expr.Array list)) {
                    throw new Target.UnsupportedFeature("poll argument " + a.get(0));
                }
                int[] polls = new int[2 * list.items().size()];
                for (int i = 0; i < list.items().size(); i++) {
                    if (!(list.items().get(i) instanceof Expr.Struct p) || !p.fields().containsKey("fd")) {
                        throw new Target.UnsupportedFeature("pollfd " + list.items().get(i));
                    }
                    polls[2 * i] = mapFd((int) value(p.fields().get("fd")), fds);
                    polls[2 * i + 1] = (int) value(p.fields().getOrDefault("events", new Expr.Num(0)));
                }
                return new Call(Op.POLL, -1, value(a.get(2)), 0, null, polls);
            }
            default -> throw new Target.UnsupportedFeature("system call " + s.name());
        }
    }

    /** The data flags a target supports: 0 and MSG_DONTWAIT. */
    private static long dataFlags(Script.Syscall s, long flags) throws Target.UnsupportedFeature {
        if ((flags & ~0x40L & ~0x4000L) != 0) {
            throw new Target.UnsupportedFeature(s.name() + " flags 0x" + Long.toHexString(flags));
        }
        return flags & 0x40L;
    }

    private static void requireDefaultAddress(Expr e, String call) throws Target.UnsupportedFeature {
        if (!(e instanceof Expr.Ellipsis)) {
            throw new Target.UnsupportedFeature(call + " to an explicit address");
        }
    }

    private static void need(Script.Syscall s, int n) throws Target.UnsupportedFeature {
        if (s.args().size() < n) {
            throw new Target.UnsupportedFeature(s.name() + " with " + s.args().size() + " arguments");
        }
    }

    private static int fd(List<Expr> a, Map<Integer, Integer> fds) throws Target.UnsupportedFeature {
        return mapFd((int) value(a.get(0)), fds);
    }

    private static int mapFd(int scriptFd, Map<Integer, Integer> fds) {
        return fds.getOrDefault(scriptFd, -1000 - scriptFd);
    }

    /**
     * Checks a finished call against the script: return value, errno, and what it filled in
     * (getsockopt's value, poll's revents). Null when it matches, else what differs.
     */
    static String check(Script.Syscall s, Result r, Map<Integer, Integer> fds) throws Target.UnsupportedFeature {
        String got = r.errno() != 0 ? r.ret() + " " + errnoName(r.errno()) : Long.toString(r.ret());
        boolean fdResult = s.name().equals("socket") || s.name().startsWith("accept");
        if (!(s.result() instanceof Expr.Ellipsis)) {
            long want = value(s.result());
            if (fdResult && want >= 0 && r.ret() >= 0) {
                fds.put((int) want, (int) r.ret());
            } else if (want != r.ret()) {
                return "expected result " + want + (s.errno() == null ? "" : " " + s.errno()) + " but got " + got;
            }
        }
        if (s.errno() != null) {
            Integer want = ERRNO.get(s.errno());
            if (want == null) {
                throw new Target.UnsupportedFeature("errno " + s.errno());
            }
            if (want != r.errno()) {
                return "expected errno " + s.errno() + " but got " + got;
            }
        } else if (r.errno() != 0 && r.ret() < 0) {
            return "expected success but got " + got;
        }
        if (s.name().equals("getsockopt") && r.errno() == 0 && r.values() != null) {
            Expr want = s.args().get(3);
            if (want instanceof Expr.Struct st && st.fields().containsKey("onoff")) {
                return compareValues("SO_LINGER", new long[] {value(st.fields().get("onoff")),
                        value(st.fields().get("linger"))}, r.values());
            }
            if (!(want instanceof Expr.Ellipsis)) {
                return compareValues("getsockopt value", new long[] {value(want)}, r.values());
            }
        }
        if (s.name().equals("poll") && r.values() != null && s.args().get(0) instanceof Expr.Array list) {
            List<String> diffs = new ArrayList<>();
            for (int i = 0; i < list.items().size(); i++) {
                Expr.Struct p = (Expr.Struct) list.items().get(i);
                Expr revents = p.fields().get("revents");
                if (revents != null && value(revents) != r.values()[i]) {
                    diffs.add("fd " + p.fields().get("fd") + " revents 0x" + Long.toHexString(value(revents))
                            + " expected, 0x" + Long.toHexString(r.values()[i]) + " returned");
                }
            }
            return diffs.isEmpty() ? null : String.join("; ", diffs);
        }
        return null;
    }

    private static String compareValues(String what, long[] want, long[] got) {
        for (int i = 0; i < want.length; i++) {
            if (i >= got.length || want[i] != got[i]) {
                return what + ": expected " + java.util.Arrays.toString(want) + " but got "
                        + java.util.Arrays.toString(got);
            }
        }
        return null;
    }
}
