package io.tcpstack.examples;

import io.tcpstack.api.TcpSocket;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A small HTTP/1.1 server (RFC 9112): {@code GET /} returns a text page, {@code GET /bytes/N}
 * returns N bytes of {@link DeterministicBytes}. Persistent connections by default in HTTP/1.1,
 * {@code Connection: close} (or HTTP/1.0 without keep-alive) closes after the response.
 */
public final class HttpService implements Service {
    /** Largest request head accepted (bytes); larger gets 431 and a close. */
    static final int MAX_HEAD = 16 * 1024;
    /** Largest body {@code /bytes/N} serves. */
    static final long MAX_BYTES = 1L << 34;
    /** Response bytes gathered before a write (a head and a small body; larger writes pass through). */
    private static final int RESPONSE_BUFFER = 2048;

    private final String banner;

    public HttpService(String banner) {
        this.banner = banner;
    }

    @Override
    public void serve(TcpSocket socket) throws IOException {
        InputStream in = socket.getInputStream();
        // head and a small body leave in one segment (one write), as from a server that builds its response first
        OutputStream out = new BufferedOutputStream(socket.getOutputStream(), RESPONSE_BUFFER);
        while (true) {
            String head = readHead(in);
            if (head == null) {
                return; // client closed
            }
            if (head.length() > MAX_HEAD) {
                respond(out, 431, "Request Header Fields Too Large", "text/plain", "header too large\n", false);
                out.flush();
                return;
            }
            boolean keepAlive = handle(head, out);
            out.flush();
            if (!keepAlive) {
                return;
            }
        }
    }

    /** Returns whether the connection stays open. */
    private boolean handle(String head, OutputStream out) throws IOException {
        String[] lines = head.split("\r\n");
        String[] request = lines[0].split(" ");
        if (request.length != 3 || !request[2].startsWith("HTTP/1.")) {
            respond(out, 400, "Bad Request", "text/plain", "bad request line\n", false);
            return false;
        }
        boolean http10 = request[2].equals("HTTP/1.0");
        boolean keepAlive = !http10;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].toLowerCase(Locale.ROOT);
            if (line.startsWith("connection:")) {
                String value = line.substring("connection:".length()).trim();
                keepAlive = value.contains("keep-alive") || (!value.contains("close") && !http10);
            }
        }
        if (!request[0].equals("GET") && !request[0].equals("HEAD")) {
            respond(out, 405, "Method Not Allowed", "text/plain", "only GET\n", keepAlive);
            return keepAlive;
        }
        String path = request[1];
        if (path.equals("/")) {
            respond(out, 200, "OK", "text/plain; charset=utf-8", page(), keepAlive);
        } else if (path.startsWith("/bytes/")) {
            long n;
            try {
                n = Long.parseLong(path.substring("/bytes/".length()));
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 0 || n > MAX_BYTES) {
                respond(out, 400, "Bad Request", "text/plain", "N must be 0.." + MAX_BYTES + "\n", keepAlive);
            } else {
                writeHead(out, 200, "OK", "application/octet-stream", n, keepAlive);
                if (request[0].equals("GET")) {
                    streamBytes(out, n);
                }
            }
        } else {
            respond(out, 404, "Not Found", "text/plain", "no such page: " + path + "\n", keepAlive);
        }
        return keepAlive;
    }

    private String page() {
        return banner + "\n\nTry:\n  GET /            this page\n  GET /bytes/N     N deterministic bytes\n";
    }

    private static void streamBytes(OutputStream out, long n) throws IOException {
        // sized to the answer: 64 KiB per short answer made young-GC pauses the p99 of short connections
        byte[] chunk = new byte[(int) Math.min(64 * 1024, n)];
        for (long sent = 0; sent < n; ) {
            int length = (int) Math.min(chunk.length, n - sent);
            DeterministicBytes.fill(sent, chunk, length);
            out.write(chunk, 0, length);
            sent += length;
        }
    }

    private static void respond(OutputStream out, int status, String reason, String type, String body,
            boolean keepAlive) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        writeHead(out, status, reason, type, bytes.length, keepAlive);
        out.write(bytes);
    }

    private static void writeHead(OutputStream out, int status, String reason, String type, long length,
            boolean keepAlive) throws IOException {
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Server: tcpstack\r\n"
                + "Content-Type: " + type + "\r\n"
                + "Content-Length: " + length + "\r\n"
                + "Connection: " + (keepAlive ? "keep-alive" : "close") + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
    }

    /** Reads up to the blank line; null at end of stream before any byte. Stops past MAX_HEAD. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
            if (head.size() > MAX_HEAD) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
    }
}
