package io.tcpstack.examples;

import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.TcpStack;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
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
     * A connect slower than this most likely had its SYN resent early (stack/BEHAVIOURS.md 2):
     * Linux >= 5.6 resends TCP_TIMEOUT_MIN after the unacceptable ACK, 8 ms at this kernel's
     * HZ=250, where an undisturbed connect here takes about 0.1 ms (a scheduler delay can also
     * cross it).
     */
    public static final long RESENT_MICROS = 5_000;
    /**
     * Connect attempts per round. A refusal caused by a stale record kills that record, so the
     * second attempt reaches the listener; a third refusal means nobody listens.
     */
    public static final int MAX_CONNECT_ATTEMPTS = 3;
    /** How long the server waits for a connection's 4 bytes before giving up on it. */
    public static final Duration SERVER_IO_TIMEOUT = Duration.ofSeconds(10);
    private static final int BACKLOG = 128;

    private FinAckLatency() {
    }

    /**
     * What a client run measured. Latencies in microseconds; {@code slow} counts connects over
     * {@link #SLOW_MICROS}, {@code over5ms} those over {@link #RESENT_MICROS}; {@code refused}
     * counts refused connect attempts that were retried; {@code deadlineReached} is true when the
     * run stopped at its deadline before making every connection. With no connect measured the
     * latencies are 0.
     */
    public record Result(int count, long p50Micros, long p99Micros, long maxMicros, int slow, int over5ms, int refused,
            boolean deadlineReached) {

        /** The figures of {@code histogram}. */
        public static Result of(LatencyHistogram histogram, int refused, boolean deadlineReached) {
            return new Result(histogram.count(), histogram.percentileMicros(50), histogram.percentileMicros(99),
                    histogram.maxMicros(), histogram.countAbove(SLOW_MICROS), histogram.countAbove(RESENT_MICROS), refused,
                    deadlineReached);
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
                    + SLOW_MICROS + ", \"over_5ms\": " + over5ms + ", \"refused\": " + refused + ", \"deadline_reached\": "
                    + deadlineReached + "}";
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
        FinAckClient client = new FinAckClient(stack, serverAddr, port, localPort, count, System.nanoTime() + deadline.toNanos());
        boolean deadlineReached = false;
        for (int round = 0; round < count && !deadlineReached; round++) {
            deadlineReached = !client.round(round);
        }
        Result result = Result.of(client.connects, client.refused, deadlineReached);
        log.info("{}{}", result.summary(), deadlineReached ? " (deadline reached)" : "");
        return result;
    }

    /** Reads {@code buf.length} bytes before {@code end} (System.nanoTime); SocketTimeoutException after it. */
    static void readFully(TcpSocket socket, byte[] buf, long end) throws IOException {
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

    static void setTimeoutUntil(TcpSocket socket, long end) throws SocketTimeoutException {
        long left = millisLeft(end);
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
    }

    /** Whole milliseconds until {@code end} (System.nanoTime), rounded up. */
    static long millisLeft(long end) {
        long nanos = end - System.nanoTime();
        return nanos <= 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(nanos + 999_999);
    }

    private static void checkPort(String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " " + port + " must be 1..65535");
        }
    }

    /** Starts a server on {@code port} that serves until it is closed. */
    public static FinAckServer startServer(TcpStack stack, int port) throws IOException {
        return startServer(stack, port, Integer.MAX_VALUE, null);
    }

    /**
     * Starts a server on {@code port}: one thread that accepts and serves connections one at a
     * time (as the selftest's server), and stops listening after {@code maxConnections} accepted
     * connections or when {@code lifetime} has passed (null: until closed), whichever is first.
     * A connection that does not deliver its 4 bytes within {@link #SERVER_IO_TIMEOUT} (or before
     * the lifetime ends) is dropped and counted as failed.
     */
    public static FinAckServer startServer(TcpStack stack, int port, int maxConnections, Duration lifetime)
            throws IOException {
        checkPort("port", port);
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections " + maxConnections + " < 1");
        }
        if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
            throw new IllegalArgumentException("lifetime " + lifetime + " must be positive");
        }
        FinAckServer server = new FinAckServer(stack.listen(port, BACKLOG), maxConnections,
                lifetime == null ? null : System.nanoTime() + lifetime.toNanos());
        server.thread.start();
        return server;
    }
}
