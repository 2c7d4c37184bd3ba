package io.tcpstack.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The kernel's side of the baseline in {@code scripts/bench/run.sh}: the daemon's services (echo
 * 7, discard 9, chargen 19, HTTP {@code GET /bytes/N} on 80, and a UDP echo on 7) on the kernel's
 * sockets, shaped like the stack's {@code Services} (an accept thread per port, a thread per
 * connection), so that a figure and its kernel figure differ by the TCP/IP stack under them.
 * Runs until killed, or at most {@code MAX_SECONDS}.
 *
 * <pre>BenchServer ADDRESS MAX_SECONDS</pre>
 */
public final class BenchServer {
    private static final int CHUNK = 256 * 1024;

    private final ExecutorService connections = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bench-conn");
        t.setDaemon(true);
        return t;
    });

    private BenchServer() {}

    public static void main(String[] args) throws Exception {
        String address = args[0];
        long maxSeconds = Long.parseLong(args[1]);
        BenchServer server = new BenchServer();
        server.listen(address, 7, BenchServer::echo);
        server.listen(address, 9, BenchServer::discard);
        server.listen(address, 19, BenchServer::chargen);
        server.listen(address, 80, BenchServer::http);
        Thread udp = new Thread(() -> udpEcho(address), "bench-udp-echo");
        udp.setDaemon(true);
        udp.start();
        System.out.println("bench server ready on " + address);
        System.out.flush();
        Thread.sleep(maxSeconds * 1000);
    }

    private interface Handler {
        void serve(Socket socket) throws IOException;
    }

    private void listen(String address, int port, Handler handler) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(address, port), 128);
        Thread acceptor = new Thread(() -> {
            while (true) {
                Socket socket;
                try {
                    socket = server.accept();
                } catch (IOException e) {
                    return;
                }
                connections.execute(() -> {
                    try (socket) {
                        handler.serve(socket);
                    } catch (IOException e) {
                        // the client went away: the end of a bulk run
                    }
                });
            }
        }, "bench-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private static void echo(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
    }

    private static void discard(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[CHUNK];
        while (in.read(buf) > 0) {
            // discard
        }
    }

    private static void chargen(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        byte[] buf = new byte[CHUNK];
        for (int i = 0; i < buf.length; i++) {
            buf[i] = (byte) (' ' + i % 95);
        }
        while (true) {
            out.write(buf);
        }
    }

    /** HTTP/1.1 {@code GET /bytes/N} with the stack's HttpService's head, keep-alive unless asked to close. */
    private static void http(Socket socket) throws IOException {
        InputStream in = new BufferedInputStream(socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        while (true) {
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
            int n = path.startsWith("/bytes/") ? Integer.parseInt(path.substring(7)) : 0;
            boolean close = head.toLowerCase(java.util.Locale.ROOT).contains("connection: close");
            byte[] response = ("HTTP/1.1 200 OK\r\nServer: tcpstack\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + n + "\r\nConnection: " + (close ? "close" : "keep-alive") + "\r\n\r\n"
                    + "x".repeat(n)).getBytes(StandardCharsets.US_ASCII);
            out.write(response);
            if (close) {
                return;
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            int l = head.length();
            if (l >= 4 && head.charAt(l - 4) == '\r' && head.charAt(l - 3) == '\n' && head.charAt(l - 2) == '\r'
                    && head.charAt(l - 1) == '\n') {
                return head.toString();
            }
        }
        return null;
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
