package io.tcpstack.api.types;

import io.tcpstack.wire.IpAddress;

/**
 * An application's handle on one TCP connection: the user calls of RFC 9293 3.10 (SEND, RECEIVE,
 * CLOSE, ABORT, STATUS) with the socket options Linux gives them. Every call comes in a
 * non-blocking form (for event-driven {@link TcpHandler}s and virtual-time tests) and a blocking
 * one that waits on the stack's clock. The engine's connection implements it; applications only
 * ever see this interface.
 */
public interface Connection {

    /**
     * Makes this connection event-driven (the epoll_ctl of {@link TcpHandler}): {@code handler}
     * runs at once if anything is already there to read, and after every change from now on;
     * null stops it. Blocking calls keep working beside it.
     */
    void setHandler(TcpHandler handler);

    TcpState state();

    /** The application closed or aborted it, or it ended (CLOSED), like {@link java.net.Socket#isClosed()}. */
    boolean isClosed();

    /** The error that ended the connection, or null. */
    TcpError error();

    IpAddress localAddress();

    int localPort();

    IpAddress remoteAddress();

    int remotePort();

    ConnectionInfo info();

    /**
     * The handshake as the stack's own clock saw it: from our first SYN (SYN-ACK, for a passive
     * open) leaving to the connection becoming established, in nanoseconds; -1 before that.
     */
    long handshakeNanos();

    /**
     * Waits until the handshake completes. Returns true when ESTABLISHED (or already past it),
     * false on timeout; throws when the connection failed.
     */
    boolean awaitEstablished(long timeoutMillis) throws TcpException, InterruptedException;

    /**
     * SEND: queues up to {@code length} bytes. With {@code block}, waits (up to the timeout, 0 =
     * forever) until all are queued; otherwise queues what fits now. Returns bytes queued.
     */
    int write(byte[] data, int offset, int length, boolean block, long timeoutMillis)
            throws TcpException, InterruptedException;

    /** Non-blocking SEND (for {@link TcpHandler}s): queues what fits now; returns the bytes queued. */
    int writeNow(byte[] data, int offset, int length) throws TcpException;

    /**
     * RECEIVE: up to {@code length} bytes. Returns the count, -1 at end of stream, 0 when nothing
     * is there and {@code block} is false or the timeout passed.
     */
    int read(byte[] data, int offset, int length, boolean block, long timeoutMillis)
            throws TcpException, InterruptedException;

    /** Non-blocking RECEIVE (for {@link TcpHandler}s): the count, 0 when nothing is there, -1 at end of stream. */
    int readNow(byte[] data, int offset, int length) throws TcpException;

    /** Bytes the send buffer takes now (poll's POLLOUT, Linux sk_stream_wspace). */
    int sendSpace();

    /** The peer's FIN arrived in order (poll's POLLRDHUP, Linux RCV_SHUTDOWN). */
    boolean peerClosed();

    /** Bytes ready to read. */
    int available();

    /** shutdown(SHUT_WR): FIN after the queued data; reading goes on. */
    void shutdownOutput();

    /**
     * CLOSE (Linux tcp_close): unread data or SO_LINGER 0 abort with RST; otherwise FIN after the
     * queued data, and the connection lives on as an orphan. Its handler is gone with it (as
     * close() takes a socket out of every epoll set).
     */
    void close();

    /** ABORT: RST now (where the state has a peer to tell), CLOSED; the handler is gone with it. */
    void abort();

    void setNoDelay(boolean on);

    /** SO_LINGER {on, 0}: close() sends RST (Linux). Other linger times are not supported. */
    void setLingerZero(boolean on);

    void setKeepAlive(boolean on);

    /**
     * TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (seconds, seconds, probes; 0 leaves one as it is).
     * A new idle time applies to the running timer at once (Linux tcp_sock_set_keepidle_locked).
     *
     * @throws IllegalArgumentException outside Linux's limits (EINVAL): 1..32767 s, 1..127 probes
     */
    void setKeepAliveTimes(int idleSeconds, int intervalSeconds, int probes);
}
