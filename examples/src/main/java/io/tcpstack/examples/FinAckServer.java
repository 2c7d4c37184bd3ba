package io.tcpstack.examples;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server of the {@link FinAckLatency} test ({@link FinAckLatency#startServer}), as
 * fin_ack_lat.c's server: one thread accepts and serves connections one at a time, echoes the 4
 * bytes and closes first (the active closer). close() stops it. Counts the connections it served
 * and those that failed.
 */
public final class FinAckServer implements AutoCloseable {
    /** Logs as the test it is part of. */
    private static final Logger log = LoggerFactory.getLogger(FinAckLatency.class);
    private static final Duration CLOSE_JOIN = Duration.ofSeconds(2);

    private final TcpServerSocket listener;
    private final int maxConnections;
    private final Long endNanos;
    final Thread thread;
    private final Object progress = new Object();
    private int served;
    private int failed;
    private boolean finished;
    private volatile boolean closed;

    FinAckServer(TcpServerSocket listener, int maxConnections, Long endNanos) {
        this.listener = listener;
        this.maxConnections = maxConnections;
        this.endNanos = endNanos;
        this.thread = new Thread(this::acceptLoop, "fin-ack-lat-server-" + listener.port());
        this.thread.setDaemon(true);
    }

    public int port() {
        return listener.port();
    }

    /** Connections that got their reply and the server's close. */
    public int served() {
        synchronized (progress) {
            return served;
        }
    }

    /** Connections dropped before the reply (reset, early end of stream, timeout). */
    public int failed() {
        synchronized (progress) {
            return failed;
        }
    }

    /** True once the server no longer accepts (limit reached, lifetime over, or closed). */
    public boolean finished() {
        synchronized (progress) {
            return finished;
        }
    }

    /**
     * Waits until {@code n} connections have been served, the server has finished, or
     * {@code timeout} has passed. Returns whether {@code n} were served.
     */
    public boolean awaitServed(int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (served < n && !finished) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
            return served >= n;
        }
    }

    private void acceptLoop() {
        try {
            for (int accepted = 0; accepted < maxConnections && !closed; accepted++) {
                int timeout = acceptTimeoutMillis();
                if (timeout < 0) {
                    return;
                }
                listener.setSoTimeout(timeout);
                TcpSocket socket;
                try {
                    socket = listener.accept();
                } catch (SocketTimeoutException e) {
                    return;
                } catch (IOException e) {
                    if (!closed) {
                        log.warn("fin-ack-lat server on port {}: accept failed: {}", port(), e.getMessage());
                    }
                    return;
                }
                serve(socket);
            }
        } finally {
            listener.close();
            synchronized (progress) {
                finished = true;
                progress.notifyAll();
            }
        }
    }

    /** Accept timeout for the rest of the lifetime: 0 forever, -1 when it is over. */
    private int acceptTimeoutMillis() {
        if (endNanos == null) {
            return 0;
        }
        long left = FinAckLatency.millisLeft(endNanos);
        return left <= 0 ? -1 : (int) Math.min(left, Integer.MAX_VALUE);
    }

    private void serve(TcpSocket socket) {
        long end = System.nanoTime() + FinAckLatency.SERVER_IO_TIMEOUT.toNanos();
        if (endNanos != null && endNanos - end < 0) {
            end = endNanos;
        }
        try (socket) {
            socket.setNoDelay(true);
            byte[] request = new byte[FinAckLatency.MESSAGE_BYTES];
            FinAckLatency.readFully(socket, request, end);
            socket.getOutputStream().write(request);
        } catch (IOException e) {
            log.debug("fin-ack-lat server: {}: {}", socket, e.getMessage());
            count(false);
            return;
        }
        count(true); // closed first: the server is the active closer
    }

    private void count(boolean ok) {
        synchronized (progress) {
            if (ok) {
                served++;
            } else {
                failed++;
            }
            progress.notifyAll();
        }
    }

    /** Stops accepting, interrupts a connection being served and waits briefly for the thread. */
    @Override
    public void close() {
        closed = true;
        listener.close();
        thread.interrupt();
        try {
            thread.join(CLOSE_JOIN.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "fin-ack-lat server: port=" + port() + " served=" + served() + " failed=" + failed();
    }
}
