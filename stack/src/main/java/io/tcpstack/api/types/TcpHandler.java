package io.tcpstack.api.types;

/**
 * An event-driven application's side of a connection: the shape of an edge-triggered epoll
 * registration (Linux ep_poll_callback is woken where we wake a blocked reader or writer). The
 * stack calls {@link #onChange} after something happened that a blocked caller would have woken
 * for: data or the end of the stream arrived, acknowledged data freed send space, the state
 * changed, or the connection ended (reset, timeout, aborted). The handler then uses the
 * non-blocking calls ({@code read}/{@code write} with {@code block} false) until they return
 * short, and looks at the state.
 *
 * <p>It runs on a stack thread (the one that processed the segment or the timer, after its burst)
 * or on the application thread whose call caused the change, always without a stack lock held,
 * and never on two threads at once for one connection. It must not block: a blocked handler
 * holds up every connection behind it on that thread.
 */
@FunctionalInterface
public interface TcpHandler {
    void onChange(Connection connection);

    /** What a listener does with each connection that completes its handshake. */
    @FunctionalInterface
    interface Acceptor {
        /** Called once per connection, in the manner of {@link #onChange}; returns its handler. */
        TcpHandler accepted(Connection connection);
    }
}
