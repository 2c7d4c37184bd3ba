package io.tcpstack.daemon.services;

import io.tcpstack.api.types.Connection;

/**
 * An application served on one port of the stack, event-driven: {@link #open} makes the state of
 * one accepted connection, whose {@link Session#onChange} then runs on the stack thread after
 * every change (data, send space, end of stream), using the non-blocking calls. No thread per
 * connection, no hand-off: a request is answered on the thread that received it.
 */
@FunctionalInterface
public interface Service {
    Session open(Connection connection);

    /** One connection's side of a service. */
    @FunctionalInterface
    interface Session {
        /**
         * Reads and writes what it can now, without blocking; closes the connection when done.
         * An exception (a reset connection, say) ends the session: {@link Services} closes it.
         */
        void onChange(Connection connection) throws java.io.IOException;
    }
}
