package io.tcpstack.api;

import io.tcpstack.api.types.Connection;
import io.tcpstack.tcp.Listener;
import io.tcpstack.tcp.Listeners;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;

/** A listening socket, shaped like {@link java.net.ServerSocket}. */
public final class TcpServerSocket implements AutoCloseable {
    private final Listeners listeners;
    private final Listener listener;
    private volatile int soTimeoutMillis;

    TcpServerSocket(Listeners listeners, Listener listener) {
        this.listeners = listeners;
        this.listener = listener;
    }

    public int port() {
        return listener.port;
    }

    /** Accept timeout in ms (0 = forever). */
    public void setSoTimeout(int millis) {
        soTimeoutMillis = millis;
    }

    /** Waits for the next established connection. */
    public TcpSocket accept() throws IOException {
        try {
            Connection c = listeners.accept(listener, soTimeoutMillis);
            if (c == null) {
                if (soTimeoutMillis > 0 && !isClosed()) {
                    throw new SocketTimeoutException("accept timed out after " + soTimeoutMillis + " ms");
                }
                throw new IOException("server socket closed");
            }
            return new TcpSocket(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("accept interrupted");
        }
    }

    /** The next established connection if one is waiting, else null (never blocks). */
    public Connection poll() {
        return listeners.pollAccept(listener);
    }

    public boolean isClosed() {
        return listener.isClosed();
    }

    @Override
    public void close() {
        listeners.close(listener);
    }
}
