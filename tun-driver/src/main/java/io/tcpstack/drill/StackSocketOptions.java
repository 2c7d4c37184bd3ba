package io.tcpstack.drill;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.drill.Syscalls.Call;
import io.tcpstack.profile.TcpSettings;
import java.util.Map;

/**
 * The socket options a script may set and read on the stack's sockets (SO_KEEPALIVE, SO_LINGER,
 * SO_ERROR, TCP_NODELAY, TCP_KEEPIDLE/INTVL/CNT), with Linux's ranges and errno: net/core/sock.c
 * sk_setsockopt/sk_getsockopt, net/ipv4/tcp.c do_tcp_setsockopt/do_tcp_getsockopt; and those it
 * has no form for.
 */
final class StackSocketOptions {
    private StackSocketOptions() {
    }

    /** What the stack's socket API has no form for. */
    static void check(Call c) throws Target.UnsupportedFeature {
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

    /** setsockopt: Linux sk_setsockopt (SOL_SOCKET) and do_tcp_setsockopt (IPPROTO_TCP). */
    static void set(StackSocket s, Call c) throws Errno {
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
    }

    /** getsockopt: the option's values; an unset TCP_KEEP* reads as its sysctl, as on Linux. */
    static long[] get(StackSocket s, Call c, TcpSettings sysctls) {
        return switch ((int) (c.a() * 100 + c.b())) {
            case 104 -> {
                TcpError e = s.takeError();
                yield new long[] {e == null ? 0 : Errno.of(e)};
            }
            case 601 -> new long[] {s.noDelay ? 1 : 0};
            case 109 -> new long[] {s.keepAlive ? 1 : 0};
            case 113 -> new long[] {s.lingerOn, s.lingerSeconds};
            case 604, 605, 606 -> {
                int which = (int) c.b() - 4;
                long sysctl = which == 0 ? sysctls.keepaliveTimeMs / 1000 : which == 1 ? sysctls.keepaliveIntvlMs / 1000
                        : sysctls.keepaliveProbes;
                yield new long[] {s.keep[which] > 0 ? s.keep[which] : sysctl};
            }
            default -> new long[] {0};
        };
    }
}
