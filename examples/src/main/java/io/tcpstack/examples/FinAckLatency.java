package io.tcpstack.examples;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FIN/ACK latency test, after Linux's selftest tools/testing/selftests/net/fin_ack_lat.c
 * (stack/BEHAVIOURS.md 1 and 13), as a client and a server on a {@link TcpStack}. The kernel-side
 * counterpart is scripts/fin_ack_lat.py; both print the same summary line.
 *
 * <p>Each round, the client connects from the same local port (a bound port, so the 4-tuple
 * comes back while the server may still hold a record of the last connection), sends 4 bytes,
 * reads the 4-byte reply, reads the server's FIN (end of stream) and closes with SO_LINGER 0,
 * which sends an RST. The server reads the 4 bytes, sends them back and closes first: it is the
 * active closer. The client's ACK of that FIN and its RST arrive almost together. When the RST
 * does not kill the server's orphaned FIN_WAIT_2 record in time (the server loses the FIN/ACK
 * race, or, without flow affinity, the next SYN travels on another queue and overtakes the RST),
 * the next SYN from the same port meets that record (stack/BEHAVIOURS.md 3):
 * <ul>
 *   <li>out of the record's window: the record answers with an ACK of the old flow, the client
 *       resets it and resends its SYN, 1 s later with {@code syn-resend = rto-init} (Linux <= 5.5),
 *       a few ms later with {@code timeout-min}: a slow connect;
 *   <li>in its window (the new ISN is the old one plus the 64 ns ISN clock, so a reconnect within
 *       a few ms usually is): the record answers RST/ACK and dies, and the connect is refused. The
 *       client counts it and connects again at once (at most {@link #MAX_CONNECT_ATTEMPTS} times
 *       per round); the round's time includes the refused attempt.
 * </ul>
 *
 * <p>Every round's connect is timed from the start of its first attempt until ESTABLISHED and
 * goes into a {@link LatencyHistogram}; connects over {@link #SLOW_MICROS} are counted as slow.
 */
public final class FinAckLatency {
    private static final Logger log = LoggerFactory.getLogger(FinAckLatency.class);

    /** Bytes each way per connection (the selftest sends one int). */
    public static final int MESSAGE_BYTES = 4;
    /**
     * A connect slower than this is slow (stack/BEHAVIOURS.md 13): a lost race costs the 1 s SYN resend
     * of Linux <= 5.5; the selftest reports connections over 1 s.
     */
    public static final long SLOW_MICROS = 500_000;
    /**
     * Connect attempts per round. A refusal caused by a stale record kills that record, so the
     * second attempt reaches the listener; a third refusal means nobody listens.
     */
    public static final int MAX_CONNECT_ATTEMPTS = 3;
    /** How long the server waits for a connection's 4 bytes before giving up on it. */
    public static final Duration SERVER_IO_TIMEOUT = Duration.ofSeconds(10);
    private static final int BACKLOG = 128;
    private static final Duration CLOSE_JOIN = Duration.ofSeconds(2);

    private FinAckLatency() {
    }

    /**
     * What a client run measured. Latencies in microseconds; {@code slow} counts connects over
     * {@link #SLOW_MICROS}; {@code refused} counts refused connect attempts that were retried;
     * {@code deadlineReached} is true when the run stopped at its deadline before making every
     * connection. With no connect measured the latencies are 0.
     */
    public record Result(int count, long p50Micros, long p99Micros, long maxMicros, int slow, int refused,
            boolean deadlineReached) {

        /** The figures of {@code histogram}. */
        public static Result of(LatencyHistogram histogram, int refused, boolean deadlineReached) {
            return new Result(histogram.count(), histogram.percentileMicros(50), histogram.percentileMicros(99),
                    histogram.maxMicros(), histogram.countAbove(SLOW_MICROS), refused, deadlineReached);
        }

        /**
         * The summary line, the same as scripts/fin_ack_lat.py prints:
         * {@code fin-ack-lat: count=200 p50=0.3ms p99=1002.1ms max=1004.0ms slow(>500ms)=12 refused=3}.
         */
        public String summary() {
            return "fin-ack-lat: count=" + count
                    + " p50=" + LatencyHistogram.formatMillis(p50Micros) + "ms"
                    + " p99=" + LatencyHistogram.formatMillis(p99Micros) + "ms"
                    + " max=" + LatencyHistogram.formatMillis(maxMicros) + "ms"
                    + " slow(>" + SLOW_MICROS / 1000 + "ms)=" + slow
                    + " refused=" + refused;
        }

        /** The figures as one JSON object, keys and layout as scripts/fin_ack_lat.py --json. */
        public String json() {
            return "{\"count\": " + count + ", \"p50_us\": " + p50Micros + ", \"p99_us\": " + p99Micros
                    + ", \"max_us\": " + maxMicros + ", \"slow\": " + slow + ", \"slow_threshold_us\": "
                    + SLOW_MICROS + ", \"refused\": " + refused + ", \"deadline_reached\": " + deadlineReached + "}";
        }
    }

    /**
     * Runs the client on {@code stack}: {@code count} connections to {@code serverAddr:port}, all
     * from {@code localPort}, one after the other, for at most {@code deadline}. A connection
     * still open when the deadline passes is reset and the run returns what it measured, with
     * {@link Result#deadlineReached()}. Logs the summary line.
     *
     * @throws IOException when a round fails: refused {@link #MAX_CONNECT_ATTEMPTS} times, reset,
     *     a wrong reply, the local port in use. The selftest exits on any error too.
     */
    public static Result runClient(TcpStack stack, String serverAddr, int port, int localPort, int count,
            Duration deadline) throws IOException {
        checkPort("port", port);
        checkPort("local port", localPort);
        if (count < 1) {
            throw new IllegalArgumentException("count " + count + " < 1");
        }
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline " + deadline + " must be positive");
        }
        Client client = new Client(stack, serverAddr, port, localPort, count, System.nanoTime() + deadline.toNanos());
        boolean deadlineReached = false;
        for (int round = 0; round < count && !deadlineReached; round++) {
            deadlineReached = !client.round(round);
        }
        Result result = Result.of(client.connects, client.refused, deadlineReached);
        log.info("{}{}", result.summary(), deadlineReached ? " (deadline reached)" : "");
        return result;
    }

    /** One client run: where it connects and what it has measured so far. */
    private static final class Client {
        private final TcpStack stack;
        private final String serverAddr;
        private final int port;
        private final int localPort;
        private final long end;
        private final LatencyHistogram connects;
        private int refused;

        Client(TcpStack stack, String serverAddr, int port, int localPort, int count, long end) {
            this.stack = stack;
            this.serverAddr = serverAddr;
            this.port = port;
            this.localPort = localPort;
            this.end = end;
            this.connects = new LatencyHistogram(count);
        }

        /** One connection; false when the deadline passed before it completed. */
        boolean round(int round) throws IOException {
            long start = System.nanoTime();
            TcpSocket socket;
            try {
                socket = connect(round);
            } catch (SocketTimeoutException e) {
                return false;
            }
            long connectMicros = (System.nanoTime() - start) / 1000;
            connects.recordMicros(connectMicros);
            if (connectMicros > SLOW_MICROS) {
                log.debug("round {}: connect from port {} took {} ms", round, localPort,
                        LatencyHistogram.formatMillis(connectMicros));
            }
            socket.setSoLinger(true, 0);
            try (socket) {
                socket.setNoDelay(true);
                byte[] request = ByteBuffer.allocate(MESSAGE_BYTES).putInt(round).array();
                socket.getOutputStream().write(request);
                byte[] reply = new byte[MESSAGE_BYTES];
                readFully(socket, reply, end);
                if (!Arrays.equals(request, reply)) {
                    throw new IOException("round " + round + ": reply " + Arrays.toString(reply)
                            + " is not the request " + Arrays.toString(request));
                }
                setTimeoutUntil(socket, end);
                if (socket.getInputStream().read() >= 0) {
                    throw new IOException("round " + round + ": the server sent more than " + MESSAGE_BYTES
                            + " bytes");
                }
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            }
        }

        /** Connects, again at once after a refusal; SocketTimeoutException at the deadline. */
        private TcpSocket connect(int round) throws IOException {
            for (int attempt = 1; ; attempt++) {
                long left = millisLeft(end);
                if (left <= 0) {
                    throw new SocketTimeoutException("deadline passed");
                }
                try {
                    return stack.connect(serverAddr, port, localPort, left);
                } catch (TcpException e) {
                    if (e.error() != TcpError.CONNECTION_REFUSED || attempt == MAX_CONNECT_ATTEMPTS) {
                        throw e;
                    }
                    refused++;
                    log.debug("round {}: connect from port {} refused, attempt {}", round, localPort, attempt);
                }
            }
        }
    }

    /** Reads {@code buf.length} bytes before {@code end} (System.nanoTime); SocketTimeoutException after it. */
    private static void readFully(TcpSocket socket, byte[] buf, long end) throws IOException {
        InputStream in = socket.getInputStream();
        int got = 0;
        while (got < buf.length) {
            setTimeoutUntil(socket, end);
            int n = in.read(buf, got, buf.length - got);
            if (n < 0) {
                throw new EOFException("end of stream after " + got + " of " + buf.length + " bytes");
            }
            got += n;
        }
    }

    private static void setTimeoutUntil(TcpSocket socket, long end) throws SocketTimeoutException {
        long left = millisLeft(end);
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
    }

    /** Whole milliseconds until {@code end} (System.nanoTime), rounded up. */
    private static long millisLeft(long end) {
        long nanos = end - System.nanoTime();
        return nanos <= 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(nanos + 999_999);
    }

    private static void checkPort(String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " " + port + " must be 1..65535");
        }
    }

    /** Starts a server on {@code port} that serves until it is closed. */
    public static Server startServer(TcpStack stack, int port) throws IOException {
        return startServer(stack, port, Integer.MAX_VALUE, null);
    }

    /**
     * Starts a server on {@code port}: one thread that accepts and serves connections one at a
     * time (as the selftest's server), and stops listening after {@code maxConnections} accepted
     * connections or when {@code lifetime} has passed (null: until closed), whichever is first.
     * A connection that does not deliver its 4 bytes within {@link #SERVER_IO_TIMEOUT} (or before
     * the lifetime ends) is dropped and counted as failed.
     */
    public static Server startServer(TcpStack stack, int port, int maxConnections, Duration lifetime)
            throws IOException {
        checkPort("port", port);
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections " + maxConnections + " < 1");
        }
        if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
            throw new IllegalArgumentException("lifetime " + lifetime + " must be positive");
        }
        Server server = new Server(stack.listen(port, BACKLOG), maxConnections,
                lifetime == null ? null : System.nanoTime() + lifetime.toNanos());
        server.thread.start();
        return server;
    }

    /** A running server; close() stops it. Counts the connections it served and those that failed. */
    public static final class Server implements AutoCloseable {
        private final TcpServerSocket listener;
        private final int maxConnections;
        private final Long endNanos;
        private final Thread thread;
        private final Object progress = new Object();
        private int served;
        private int failed;
        private boolean finished;
        private volatile boolean closed;

        private Server(TcpServerSocket listener, int maxConnections, Long endNanos) {
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
            long left = millisLeft(endNanos);
            return left <= 0 ? -1 : (int) Math.min(left, Integer.MAX_VALUE);
        }

        private void serve(TcpSocket socket) {
            long end = System.nanoTime() + SERVER_IO_TIMEOUT.toNanos();
            if (endNanos != null && endNanos - end < 0) {
                end = endNanos;
            }
            try (socket) {
                socket.setNoDelay(true);
                byte[] request = new byte[MESSAGE_BYTES];
                readFully(socket, request, end);
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
}
