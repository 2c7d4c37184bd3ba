package io.tcpstack.tcp;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.SynOptions;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpHandler;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.wire.IpAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The listening ports (RFC 9293 3.10.1, passive OPEN; Linux inet_csk_listen_start, inet_csk_accept,
 * inet_csk_listen_stop): listen, accept, and closing a listener. Each listener is on both
 * families, as a dual-stack socket. What a SYN or the handshake's ACK does to a listener is
 * {@link ListenInput}'s.
 */
public final class Listeners {
    private final TcpLayer layer;
    private final ConcurrentHashMap<Integer, Listener> listeners = new ConcurrentHashMap<>();

    Listeners(TcpLayer layer) {
        this.layer = layer;
    }

    /** A listener holds {@code port}: no active open may take it as its local port. */
    boolean listening(int port) {
        return listeners.containsKey(port);
    }

    /** The listener on {@code port}, or null when there is none or it is closing. */
    Listener open(int port) {
        Listener listener = listeners.get(port);
        return listener == null || listener.isClosed() ? null : listener;
    }

    /** Opens {@code port} for connections (RFC 9293 3.10.1, passive OPEN), for {@link #accept}. */
    public Listener listen(int port, int backlog) {
        return listen(port, backlog, null);
    }

    /**
     * Opens {@code port} for connections; with an {@code acceptor}, each is handed to it as its
     * handshake completes (event-driven), else they wait for {@link #accept}.
     */
    public Listener listen(int port, int backlog, TcpHandler.Acceptor acceptor) {
        return listen(port, backlog, acceptor, SynOptions.DEFAULT);
    }

    /** As {@link #listen(int, int, TcpHandler.Acceptor)}, with SYN-ACKs that offer {@code options}. */
    public Listener listen(int port, int backlog, TcpHandler.Acceptor acceptor, SynOptions options) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        // Linux listen(2): sk_max_ack_backlog = min(backlog, somaxconn)
        Listener listener = new Listener(layer, port, Math.min(Math.max(backlog, 0), layer.settings().somaxconn), acceptor,
                options);
        if (listeners.putIfAbsent(port, listener) != null) {
            throw new IllegalStateException("address already in use: port " + port + " is listening");
        }
        return listener;
    }

    /** Waits up to {@code timeoutMillis} (0 = forever) for an established connection; null on timeout or close. */
    public TcpConnection accept(Listener listener, long timeoutMillis) throws InterruptedException {
        Tcb tcb = listener.accept(timeoutMillis);
        return tcb == null ? null : accepted(tcb);
    }

    /** An established connection if one is waiting, else null. */
    public TcpConnection pollAccept(Listener listener) {
        Tcb tcb = listener.poll();
        return tcb == null ? null : accepted(tcb);
    }

    private TcpConnection accepted(Tcb tcb) {
        tcb.lock.lock();
        try {
            tcb.listener = null;
        } finally {
            tcb.lock.unlock();
        }
        return tcb.connection;
    }

    /** Closes a listener and resets the connections nobody accepted (Linux inet_csk_listen_stop). */
    public void close(Listener listener) {
        listeners.remove(listener.port, listener);
        for (Tcb tcb : listener.close()) {
            tcb.lock.lock();
            try {
                if (tcb.state != TcpState.CLOSED) {
                    layer.states().close(tcb, TcpError.ABORTED, true);
                }
            } finally {
                tcb.lock.unlock();
            }
        }
    }

    /** Adds every listener once per family the stack has an address of, as two bound sockets show. */
    void addInfos(List<ConnectionInfo> list) {
        for (Listener l : listeners.values()) {
            for (IpAddress any : new IpAddress[] {IpAddress.v4(0), IpAddress.V6_UNSPECIFIED}) {
                IpAddress local = layer.localAddress(any);
                if (local != null) {
                    list.add(new ConnectionInfo(TcpState.LISTEN, local, l.port, any, 0, l.acceptQueueLength(), l.backlog,
                            null));
                }
            }
        }
    }
}
