package io.tcpstack.drill;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpState;
import java.util.ArrayDeque;

/**
 * One socket of a script on the stack's socket API: options set on it, then a listener or a
 * connection; its pending error (Linux sk_err, sock_error) and its poll events (tcp_poll).
 */
final class StackSocket {
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
    /** Whether the connection's error (Linux sk_err) was reported: a call or SO_ERROR takes it once. */
    boolean errorSeen;
    boolean readShutdown;
    boolean writeShutdown;
    final ArrayDeque<Connection> accepted = new ArrayDeque<>();

    /** Puts the options set on this socket on its connection (after connect, or accept). */
    void applyOptions() {
        connection.setNoDelay(noDelay);
        if (keepAlive) {
            connection.setKeepAlive(true);
        }
        connection.setLingerZero(lingerZero);
        connection.setKeepAliveTimes(keep[0], keep[1], keep[2]);
    }

    /** Linux sock_error: the pending error is reported once. */
    TcpError takeError() {
        TcpError e = connection == null ? null : connection.error();
        if (e == null || errorSeen) {
            return null;
        }
        errorSeen = true;
        return e;
    }

    /** Linux tcp_poll and inet_csk_listen_poll: the poll events of this socket (POLLIN 0x1, POLLOUT 0x4, ...). */
    long events() {
        if (listener != null) {
            if (accepted.isEmpty()) {
                Connection c = listener.poll();
                if (c != null) {
                    accepted.add(c);
                }
            }
            return accepted.isEmpty() ? 0 : 0x1 | 0x40;
        }
        Connection c = connection;
        if (c == null) {
            return 0x4 | 0x10; // an unconnected socket: POLLOUT | POLLHUP
        }
        long mask = 0;
        TcpState state = c.state();
        boolean peerClosed = c.peerClosed() || readShutdown;
        if ((peerClosed && writeShutdown) || state == TcpState.CLOSED) {
            mask |= 0x10;
        }
        if (peerClosed || (state == TcpState.CLOSED && c.error() != null)) {
            mask |= 0x1 | 0x40 | 0x2000;
        }
        if (state != TcpState.SYN_SENT && state != TcpState.SYN_RECEIVED) {
            if (c.available() > 0) {
                mask |= 0x1 | 0x40;
            }
            if (!writeShutdown && state != TcpState.CLOSED) {
                if (c.sendSpace() > 0) {
                    mask |= 0x4 | 0x100;
                }
            } else {
                mask |= 0x4 | 0x100;
            }
        }
        if (c.error() != null && !errorSeen) {
            mask |= 0x8;
        }
        return mask;
    }
}
