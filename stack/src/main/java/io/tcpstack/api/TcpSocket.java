package io.tcpstack.api;

import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;

/**
 * A connected socket with blocking streams, shaped like {@link java.net.Socket}. Failures surface
 * as {@link TcpException} (refused, reset, timed out), timeouts as {@link SocketTimeoutException}.
 */
public final class TcpSocket implements AutoCloseable {
    private final Connection connection;
    private volatile int soTimeoutMillis;
    private final InputStream in = new In();
    private final OutputStream out = new Out();

    TcpSocket(Connection connection) {
        this.connection = connection;
    }

    public Connection connection() {
        return connection;
    }

    public TcpState state() {
        return connection.state();
    }

    public int localPort() {
        return connection.localPort();
    }

    public int remotePort() {
        return connection.remotePort();
    }

    public ConnectionInfo info() {
        return connection.info();
    }

    public InputStream getInputStream() {
        return in;
    }

    public OutputStream getOutputStream() {
        return out;
    }

    /** Read timeout in ms (0 = forever), like SO_TIMEOUT. */
    public void setSoTimeout(int millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        soTimeoutMillis = millis;
    }

    public void setNoDelay(boolean on) {
        connection.setNoDelay(on);
    }

    /** SO_LINGER: only {@code on} with 0 seconds changes behaviour (close sends RST, like Linux). */
    public void setSoLinger(boolean on, int seconds) {
        if (on && seconds != 0) {
            throw new IllegalArgumentException("only SO_LINGER 0 is supported");
        }
        connection.setLingerZero(on);
    }

    public void setKeepAlive(boolean on) {
        connection.setKeepAlive(on);
    }

    public void shutdownOutput() {
        connection.shutdownOutput();
    }

    @Override
    public void close() {
        connection.close();
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            try {
                int timeout = soTimeoutMillis;
                int n = connection.read(b, off, len, true, timeout);
                if (n == 0) {
                    throw new SocketTimeoutException("read timed out after " + timeout + " ms");
                }
                return n;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("read interrupted");
            }
        }

        @Override
        public int available() {
            return connection.available();
        }

        @Override
        public void close() {
            TcpSocket.this.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                connection.write(b, off, len, true, 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("write interrupted");
            }
        }

        @Override
        public void close() {
            TcpSocket.this.close();
        }
    }

    @Override
    public String toString() {
        return connection.toString();
    }
}
