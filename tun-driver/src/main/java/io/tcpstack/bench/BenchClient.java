package io.tcpstack.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The load generator of {@code scripts/bench/run.sh}: a client on the kernel's own sockets that
 * runs one measurement against a server (the stack's services, or {@link BenchServer} on a kernel
 * peer) and prints its result as one JSON object. Every loop is bounded in time and in count.
 *
 * <pre>
 * bulk-send HOST PORT SECONDS       write to a discard server; stop, shut down, wait for its close
 * bulk-recv HOST PORT SECONDS       read from a chargen server
 * conns HOST PORT SECONDS MAX server|client
 *                                   serial short connections: connect, GET /bytes/64, close; the
 *                                   server closes first (Connection: close) or the client does
 * pingpong HOST PORT SECONDS MAX    64-byte round trips on one echo connection
 * udp HOST PORT SECONDS             64-byte UDP datagrams at full speed (a thread counts echoes)
 * </pre>
 *
 * A warm-up of a quarter of the time (at most 1 s) runs first and is not counted.
 */
public final class BenchClient {
    private static final int PAYLOAD = 64;

    private BenchClient() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: BenchClient bulk-send|bulk-recv|conns|pingpong|udp HOST PORT SECONDS [MAX] [server|client]");
            System.exit(2);
        }
        InetSocketAddress target = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        double seconds = Double.parseDouble(args[3]);
        int max = args.length > 4 ? Integer.parseInt(args[4]) : Integer.MAX_VALUE;
        String json = switch (args[0]) {
            case "bulk-send" -> bulkSend(target, seconds);
            case "bulk-recv" -> bulkRecv(target, seconds);
            case "conns" -> conns(target, seconds, max, args.length > 5 && args[5].equals("client"));
            case "pingpong" -> pingPong(target, seconds, max);
            case "udp" -> udp(target, seconds);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        };
        System.out.println(json);
    }

    private static long warmupNanos(double seconds) {
        return (long) (Math.min(seconds / 4, 1.0) * 1e9);
    }

    /**
     * A measurement after a warm-up (a quarter of its length, at most 1 s): events before the
     * warm-up ends are not counted, and the measured time starts at the first event after it.
     */
    private static final class Window {
        private long measureFrom;
        private final long end;
        private boolean measuring;
        private long now;

        Window(double seconds) {
            now = System.nanoTime();
            measureFrom = now + warmupNanos(seconds);
            end = measureFrom + (long) (seconds * 1e9);
        }

        boolean open() {
            return now < end;
        }

        /** Notes an event now; true if it counts (measuring had already started). */
        boolean tick() {
            now = System.nanoTime();
            if (!measuring && now >= measureFrom) {
                measuring = true;
                measureFrom = now;
                return false;
            }
            return measuring;
        }

        /** The time of the last event. */
        long now() {
            return now;
        }

        /** Seconds measured up to the last event. */
        double seconds() {
            return secondsUntil(now);
        }

        double secondsUntil(long nanos) {
            return (nanos - measureFrom) / 1e9;
        }
    }

    private static String bulkSend(InetSocketAddress target, double seconds) throws IOException {
        try (SocketChannel ch = SocketChannel.open(target)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
            Window window = new Window(seconds);
            long bytes = 0;
            long total = 0;
            while (window.open()) {
                buf.clear();
                int n = ch.write(buf);
                total += n;
                if (window.tick()) {
                    bytes += n;
                }
            }
            // everything written must have arrived: shut down and wait for the server's close
            ch.shutdownOutput();
            buf.clear();
            while (ch.read(buf) >= 0) {
                buf.clear();
            }
            return bulkJson("bulk-send", bytes, total, window.secondsUntil(System.nanoTime()));
        }
    }

    private static String bulkRecv(InetSocketAddress target, double seconds) throws IOException {
        try (SocketChannel ch = SocketChannel.open(target)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
            Window window = new Window(seconds);
            long bytes = 0;
            long total = 0;
            while (window.open()) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    throw new IOException("server closed the connection");
                }
                total += n;
                if (window.tick()) {
                    bytes += n;
                }
            }
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            return bulkJson("bulk-recv", bytes, total, window.seconds());
        }
    }

    /** {@code bytes} in the measured {@code elapsed} seconds; {@code total} with the warm-up (for CPU per byte). */
    private static String bulkJson(String mode, long bytes, long total, double elapsed) {
        return String.format(Locale.ROOT, "{\"mode\":\"%s\",\"bytes\":%d,\"total_bytes\":%d,\"seconds\":%.3f,\"gbps\":%.3f}",
                mode, bytes, total, elapsed, bytes * 8 / elapsed / 1e9);
    }

    private static String conns(InetSocketAddress target, double seconds, int max, boolean clientCloses)
            throws IOException {
        byte[] request = ("GET /bytes/" + PAYLOAD + " HTTP/1.1\r\nHost: bench\r\nConnection: "
                + (clientCloses ? "keep-alive" : "close") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = ByteBuffer.allocateDirect(request.length);
        out.put(request);
        ByteBuffer in = ByteBuffer.allocateDirect(4096);
        long[] latencies = new long[Math.min(max, 2_000_000)];
        int count = 0;
        Window window = new Window(seconds);
        while (window.open() && count < latencies.length) {
            long t0 = System.nanoTime();
            try (SocketChannel ch = SocketChannel.open(target)) {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                out.clear();
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                in.clear();
                readResponse(ch, in, clientCloses);
            }
            if (window.tick()) {
                latencies[count++] = window.now() - t0;
            }
        }
        return latencyJson(clientCloses ? "conns-client-close" : "conns-server-close", latencies, count,
                window.seconds());
    }

    /**
     * Reads one response: to the end of the stream when the server closes, else to the end of the
     * head plus the 64-byte body.
     */
    private static void readResponse(SocketChannel ch, ByteBuffer in, boolean clientCloses) throws IOException {
        while (true) {
            int n = ch.read(in);
            if (n < 0) {
                if (clientCloses) {
                    throw new IOException("server closed before the response was complete");
                }
                return;
            }
            if (clientCloses && responseComplete(in)) {
                return;
            }
            if (!in.hasRemaining()) {
                in.clear();
            }
        }
    }

    private static boolean responseComplete(ByteBuffer in) {
        int end = in.position();
        for (int i = 3; i < end; i++) {
            if (in.get(i - 3) == '\r' && in.get(i - 2) == '\n' && in.get(i - 1) == '\r' && in.get(i) == '\n') {
                return end - (i + 1) >= PAYLOAD;
            }
        }
        return false;
    }

    private static String pingPong(InetSocketAddress target, double seconds, int max) throws IOException {
        try (SocketChannel ch = SocketChannel.open(target)) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer out = ByteBuffer.allocateDirect(PAYLOAD);
            ByteBuffer in = ByteBuffer.allocateDirect(PAYLOAD);
            long[] latencies = new long[Math.min(max, 5_000_000)];
            int count = 0;
            Window window = new Window(seconds);
            while (window.open() && count < latencies.length) {
                long t0 = System.nanoTime();
                out.clear();
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                in.clear();
                while (in.hasRemaining()) {
                    if (ch.read(in) < 0) {
                        throw new IOException("echo server closed the connection");
                    }
                }
                if (window.tick()) {
                    latencies[count++] = window.now() - t0;
                }
            }
            return latencyJson("pingpong", latencies, count, window.seconds());
        }
    }

    private static String latencyJson(String mode, long[] latencies, int count, double elapsed) {
        long[] sorted = Arrays.copyOf(latencies, count);
        Arrays.sort(sorted);
        return String.format(Locale.ROOT,
                "{\"mode\":\"%s\",\"count\":%d,\"seconds\":%.3f,\"per_second\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,"
                        + "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}",
                mode, count, elapsed, count / elapsed, percentile(sorted, 0.50), percentile(sorted, 0.90),
                percentile(sorted, 0.99), percentile(sorted, 0.999), count == 0 ? 0.0 : sorted[count - 1] / 1e3);
    }

    /** Nearest-rank percentile in microseconds. */
    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(rank - 1, 0)] / 1e3;
    }

    private static String udp(InetSocketAddress target, double seconds) throws Exception {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(target);
            long[] received = new long[1];
            long start = System.nanoTime();
            long measureFrom = start + warmupNanos(seconds);
            long end = measureFrom + (long) (seconds * 1e9);
            long[] window = new long[2];
            Thread receiver = new Thread(() -> countEchoes(ch, measureFrom, end, received, window), "udp-rx");
            receiver.setDaemon(true);
            receiver.start();
            ByteBuffer out = ByteBuffer.allocateDirect(PAYLOAD);
            long sent = 0;
            long failed = 0;
            while (System.nanoTime() < end) {
                out.clear();
                try {
                    if (ch.write(out) > 0) {
                        sent++;
                    }
                } catch (IOException e) {
                    failed++; // ENOBUFS or ECONNREFUSED while the queue is full: count, go on
                }
            }
            receiver.join(2000);
            double elapsed = ((window[1] != 0 ? window[1] : end) - window[0]) / 1e9;
            return String.format(Locale.ROOT,
                    "{\"mode\":\"udp\",\"sent\":%d,\"send_errors\":%d,\"echoed\":%d,\"seconds\":%.3f,\"total_seconds\":%.3f,"
                            + "\"pps\":%.0f}",
                    sent, failed, received[0], elapsed, (end - start) / 1e9, elapsed > 0 ? received[0] / elapsed : 0);
        }
    }

    /** Counts echoes that arrive between {@code from} and {@code end}; records the actual window. */
    private static void countEchoes(DatagramChannel ch, long from, long end, long[] received, long[] window) {
        ByteBuffer in = ByteBuffer.allocateDirect(2048);
        try {
            window[0] = from;
            while (true) {
                in.clear();
                ch.read(in);
                long now = System.nanoTime();
                if (now >= end) {
                    window[1] = now;
                    return;
                }
                if (now >= from) {
                    received[0]++;
                }
            }
        } catch (IOException e) {
            window[1] = System.nanoTime();
        }
    }
}
