package io.tcpstack.daemon.services;

import io.tcpstack.api.types.Connection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * A small HTTP/1.1 server (RFC 9112): {@code GET /} returns a text page, {@code GET /bytes/N}
 * returns N bytes of {@link DeterministicBytes}. Persistent connections by default in HTTP/1.1,
 * {@code Connection: close} (or HTTP/1.0 without keep-alive) closes after the response.
 * Pipelined requests are answered in order.
 */
public final class HttpService implements Service {
    /** Largest request head accepted (bytes); larger gets 431 and a close. */
    static final int MAX_HEAD = 16 * 1024;
    /** Largest body {@code /bytes/N} serves. */
    static final long MAX_BYTES = 1L << 34;
    /** Bodies up to this size leave in one write with their head (one segment for a short answer). */
    private static final int INLINE_BODY = 2048;
    /** Body bytes produced per write for larger answers. */
    private static final int CHUNK = 64 * 1024;
    private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

    private final String banner;

    public HttpService(String banner) {
        this.banner = banner;
    }

    @Override
    public Session open(Connection connection) {
        return new HttpSession();
    }

    /** One connection: reads request heads, answers each in turn. */
    private final class HttpSession implements Session {
        /** Received bytes not yet consumed as a request head: in[0..inLength). */
        private byte[] in = new byte[512];
        private int inLength;
        /** The answer being sent: what the outbox holds, then body bytes bodySent..bodyLength. */
        private final Outbox out = new Outbox();
        private long bodySent;
        private long bodyLength;
        private boolean closeAfter;

        @Override
        public void onChange(Connection c) throws IOException {
            while (true) {
                if (!sendAnswer(c)) {
                    return; // the send buffer is full: more when ACKs free it
                }
                if (closeAfter) {
                    c.close();
                    return;
                }
                int headEnd = indexOf(in, inLength, END_OF_HEAD);
                if (headEnd >= 0) {
                    answer(new String(in, 0, headEnd, StandardCharsets.ISO_8859_1));
                    consume(headEnd + END_OF_HEAD.length);
                    continue;
                }
                if (inLength > MAX_HEAD) {
                    simple(431, "Request Header Fields Too Large", "header too large\n", false);
                    continue;
                }
                if (inLength == in.length) {
                    in = Arrays.copyOf(in, Math.min(in.length * 2, MAX_HEAD + 1));
                }
                int n = c.readNow(in, inLength, in.length - inLength);
                if (n == 0) {
                    return;
                }
                if (n < 0) {
                    c.close(); // the client closed (mid-head or between requests)
                    return;
                }
                inLength += n;
            }
        }

        /** Writes what it can of the current answer; true when all of it is queued. */
        private boolean sendAnswer(Connection c) throws IOException {
            while (out.drain(c)) {
                if (bodySent == bodyLength) {
                    return true;
                }
                // sized to the answer: 64 KiB per short answer made young-GC pauses the p99 of short connections
                int length = (int) Math.min(CHUNK, bodyLength - bodySent);
                byte[] chunk = out.data.length < length ? new byte[length] : out.data;
                DeterministicBytes.fill(bodySent, chunk, 0, length);
                bodySent += length;
                out.set(chunk, length);
            }
            return false;
        }

        private void consume(int bytes) {
            System.arraycopy(in, bytes, in, 0, inLength - bytes);
            inLength -= bytes;
        }

        /** Sets up the answer to one request head. */
        private void answer(String head) {
            String[] lines = head.split("\r\n");
            String[] request = lines[0].split(" ");
            if (request.length != 3 || !request[2].startsWith("HTTP/1.")) {
                simple(400, "Bad Request", "bad request line\n", false);
                return;
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
                simple(405, "Method Not Allowed", "only GET\n", keepAlive);
                return;
            }
            String path = request[1];
            if (path.equals("/")) {
                respond(200, "OK", "text/plain; charset=utf-8", page().getBytes(StandardCharsets.UTF_8), keepAlive);
            } else if (path.startsWith("/bytes/")) {
                long n;
                try {
                    n = Long.parseLong(path.substring("/bytes/".length()));
                } catch (NumberFormatException e) {
                    n = -1;
                }
                if (n < 0 || n > MAX_BYTES) {
                    simple(400, "Bad Request", "N must be 0.." + MAX_BYTES + "\n", keepAlive);
                } else {
                    stream(n, request[0].equals("GET") ? n : 0, keepAlive);
                }
            } else {
                simple(404, "Not Found", "no such page: " + path + "\n", keepAlive);
            }
        }

        private void simple(int status, String reason, String body, boolean keepAlive) {
            respond(status, reason, "text/plain", body.getBytes(StandardCharsets.UTF_8), keepAlive);
        }

        private void respond(int status, String reason, String type, byte[] body, boolean keepAlive) {
            byte[] head = head(status, reason, type, body.length, keepAlive);
            byte[] answer = Arrays.copyOf(head, head.length + body.length);
            System.arraycopy(body, 0, answer, head.length, body.length);
            out.set(answer, answer.length);
            bodySent = bodyLength = 0;
            closeAfter = !keepAlive;
        }

        /** {@code /bytes/N}: the head says N, {@code send} bytes follow (0 for HEAD). */
        private void stream(long n, long send, boolean keepAlive) {
            byte[] head = head(200, "OK", "application/octet-stream", n, keepAlive);
            int inline = (int) Math.min(send, INLINE_BODY);
            byte[] answer = Arrays.copyOf(head, head.length + inline);
            DeterministicBytes.fill(0, answer, head.length, inline);
            out.set(answer, answer.length);
            bodySent = inline;
            bodyLength = send;
            closeAfter = !keepAlive;
        }
    }

    private String page() {
        return banner + "\n\nTry:\n  GET /            this page\n  GET /bytes/N     N deterministic bytes\n";
    }

    private static byte[] head(int status, String reason, String type, long length, boolean keepAlive) {
        return ("HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Server: tcpstack\r\n"
                + "Content-Type: " + type + "\r\n"
                + "Content-Length: " + length + "\r\n"
                + "Connection: " + (keepAlive ? "keep-alive" : "close") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Index of {@code pattern} in {@code data[0..length)}, or -1. */
    private static int indexOf(byte[] data, int length, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= length; i++) {
            for (int k = 0; k < pattern.length; k++) {
                if (data[i + k] != pattern[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
