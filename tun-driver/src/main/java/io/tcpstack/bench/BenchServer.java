package io.tcpstack.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.function.Supplier;

/**
 * The kernel's side of the baseline in {@code scripts/bench/run.sh}: the daemon's services (echo
 * 7, discard 9, chargen 19, HTTP {@code GET /bytes/N} on 80, and a UDP echo on 7) on the kernel's
 * sockets, shaped like the stack's {@code Services}: event-driven, one thread (a {@link Selector},
 * which is epoll), each connection served by its session without blocking. So a figure and its
 * kernel figure differ by the TCP/IP stack under the same kind of server. Runs until killed, or at
 * most {@code MAX_SECONDS}.
 *
 * <pre>BenchServer ADDRESS MAX_SECONDS</pre>
 */
public final class BenchServer {
    private static final int CHUNK = 256 * 1024;
    private static final byte[] END_OF_HEAD = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private BenchServer() {}

    public static void main(String[] args) throws Exception {
        String address = args[0];
        long maxSeconds = Long.parseLong(args[1]);
        Selector selector = Selector.open();
        listen(selector, address, 7, Echo::new);
        listen(selector, address, 9, Discard::new);
        listen(selector, address, 19, Chargen::new);
        listen(selector, address, 80, Http::new);
        Thread udp = new Thread(() -> udpEcho(address), "bench-udp-echo");
        udp.setDaemon(true);
        udp.start();
        System.out.println("bench server ready on " + address);
        System.out.flush();
        long end = System.nanoTime() + maxSeconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            selector.select(1000);
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                ready(selector, key);
            }
        }
    }

    /** One connection's side of a service: does what it can without blocking; false when it is done. */
    private interface Session {
        boolean onReady(SocketChannel channel, SelectionKey key) throws IOException;
    }

    private static void listen(Selector selector, String address, int port, Supplier<Session> service)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(address, port), 128);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT, service);
    }

    @SuppressWarnings("unchecked")
    private static void ready(Selector selector, SelectionKey key) {
        if (key.isValid() && key.isAcceptable()) {
            Supplier<Session> service = (Supplier<Session>) key.attachment();
            SocketChannel channel;
            try {
                while ((channel = ((ServerSocketChannel) key.channel()).accept()) != null) {
                    channel.configureBlocking(false);
                    Session session = service.get();
                    serve(session, channel, channel.register(selector, SelectionKey.OP_READ, session));
                }
            } catch (IOException e) {
                System.err.println("accept: " + e);
            }
        } else if (key.isValid()) {
            serve((Session) key.attachment(), (SocketChannel) key.channel(), key);
        }
    }

    private static void serve(Session session, SocketChannel channel, SelectionKey key) {
        boolean open;
        try {
            open = session.onReady(channel, key);
        } catch (IOException e) {
            open = false; // the client went away: the end of a bulk run
        }
        if (!open) {
            key.cancel();
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** Writes what it can of {@code out}; while some is left, waits for OP_WRITE instead of OP_READ. */
    private static boolean flush(SocketChannel channel, SelectionKey key, ByteBuffer out) throws IOException {
        channel.write(out);
        key.interestOps(out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        return !out.hasRemaining();
    }

    private static final class Echo implements Session {
        private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024).flip();

        @Override
        public boolean onReady(SocketChannel channel, SelectionKey key) throws IOException {
            while (flush(channel, key, buf)) {
                buf.clear();
                int n = channel.read(buf);
                buf.flip();
                if (n <= 0) {
                    return n == 0;
                }
            }
            return true;
        }
    }

    private static final class Discard implements Session {
        private final ByteBuffer buf = ByteBuffer.allocate(CHUNK);

        @Override
        public boolean onReady(SocketChannel channel, SelectionKey key) throws IOException {
            int n;
            do {
                buf.clear();
                n = channel.read(buf);
            } while (n > 0);
            return n == 0;
        }
    }

    private static final class Chargen implements Session {
        private final ByteBuffer buf = ByteBuffer.allocate(CHUNK);

        Chargen() {
            for (int i = 0; i < CHUNK; i++) {
                buf.put(i, (byte) (' ' + i % 95));
            }
        }

        @Override
        public boolean onReady(SocketChannel channel, SelectionKey key) throws IOException {
            while (true) {
                if (!buf.hasRemaining()) {
                    buf.clear();
                }
                if (!flush(channel, key, buf)) {
                    return true;
                }
            }
        }
    }

    /** HTTP/1.1 {@code GET /bytes/N} with the stack's HttpService's head, keep-alive unless asked to close. */
    private static final class Http implements Session {
        private final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        private ByteBuffer out = ByteBuffer.allocate(0);
        private boolean closeAfter;

        @Override
        public boolean onReady(SocketChannel channel, SelectionKey key) throws IOException {
            while (flush(channel, key, out)) {
                if (closeAfter) {
                    return false;
                }
                int end = headEnd();
                if (end >= 0) {
                    answer(new String(in.array(), 0, end, StandardCharsets.ISO_8859_1));
                    in.flip().position(end + END_OF_HEAD.length);
                    in.compact();
                    continue;
                }
                int n = channel.read(in);
                if (n <= 0 || !in.hasRemaining()) {
                    return n == 0;
                }
            }
            return true;
        }

        private int headEnd() {
            byte[] a = in.array();
            outer:
            for (int i = 0; i + END_OF_HEAD.length <= in.position(); i++) {
                for (int k = 0; k < END_OF_HEAD.length; k++) {
                    if (a[i + k] != END_OF_HEAD[k]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        private void answer(String head) {
            String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
            int n = path.startsWith("/bytes/") ? Integer.parseInt(path.substring(7)) : 0;
            closeAfter = head.toLowerCase(java.util.Locale.ROOT).contains("connection: close");
            out = ByteBuffer.wrap(("HTTP/1.1 200 OK\r\nServer: tcpstack\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + n + "\r\nConnection: " + (closeAfter ? "close" : "keep-alive") + "\r\n\r\n"
                    + "x".repeat(n)).getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void udpEcho(String address) {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.bind(new InetSocketAddress(address, 7));
            ByteBuffer buf = ByteBuffer.allocateDirect(2048);
            while (true) {
                buf.clear();
                var from = ch.receive(buf);
                buf.flip();
                ch.send(buf, from);
            }
        } catch (IOException e) {
            System.err.println("udp echo: " + e);
        }
    }
}
