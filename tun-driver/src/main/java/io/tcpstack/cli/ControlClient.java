package io.tcpstack.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;

/** The client side of the control protocol (README.md, "Control protocol"), for ctl and nc. */
final class ControlClient implements AutoCloseable {
    /** Longest status or body line accepted from the daemon. */
    private static final int MAX_LINE = 1 << 20;

    private final UnixSocketChannel channel;
    private final InputStream in;

    /** An {@code error} reply: the daemon's message. */
    static final class ErrorReply extends RuntimeException {
        ErrorReply(String message) {
            super(message);
        }
    }

    private ControlClient(UnixSocketChannel channel) {
        this.channel = channel;
        // not Channels.newInputStream/newOutputStream: they hold the channel's blocking lock
        // while they block, so a reader would stall the writer of the other direction (nc)
        this.in = new BufferedInputStream(new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n;
                do {
                    n = read(one, 0, 1);
                } while (n == 0);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
            }
        });
    }

    /** Connects to the daemon; the IOException says in words what is wrong and what to try. */
    static ControlClient connect(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new IOException("no control socket at " + path + " (is the daemon running? --dev or --control picks"
                    + " another)");
        }
        try {
            return new ControlClient(UnixSocketChannel.open(new UnixSocketAddress(path.toFile())));
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            String why = m.contains("ermission denied") ? "permission denied (root and the control socket's group only)"
                    : m.contains("onnection refused") ? "connection refused (a daemon left this socket behind)" : m;
            throw new IOException("cannot connect to " + path + ": " + why, e);
        }
    }

    /**
     * Sends one request line. If the daemon closed the connection first (it refuses a client
     * with one error line and closes), that error is what the caller gets.
     */
    void send(String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            write(bytes, bytes.length);
        } catch (IOException e) {
            String refusal = readLine();
            if (refusal != null && refusal.startsWith("error ")) {
                throw new ErrorReply(refusal.substring("error ".length()));
            }
            throw e;
        }
    }

    /** The next line from the daemon, or null at end of stream. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (line.size() >= MAX_LINE) {
                throw new IOException("the daemon sent a line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        return b < 0 && line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    /** A status line; ErrorReply for {@code error}, IOException if the daemon hung up. */
    String status() throws IOException {
        String line = readLine();
        if (line == null) {
            throw new IOException("the daemon closed the connection without a reply");
        }
        if (line.startsWith("error ")) {
            throw new ErrorReply(line.substring("error ".length()));
        }
        return line;
    }

    /** Sends {@code request} and returns the body of its {@code ok N} reply. */
    List<String> request(String request) throws IOException {
        send(request);
        String status = status();
        if (!status.startsWith("ok ")) {
            throw new IOException("unexpected reply: " + status);
        }
        int n;
        try {
            n = Integer.parseInt(status.substring(3).trim());
        } catch (NumberFormatException e) {
            throw new IOException("unexpected reply: " + status);
        }
        List<String> body = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String line = readLine();
            if (line == null) {
                throw new IOException("the daemon closed the connection in the middle of a reply");
            }
            body.add(line);
        }
        return body;
    }

    /** The raw stream after a {@code relay} status (what was buffered comes first). */
    InputStream input() {
        return in;
    }

    /** Raw bytes to the daemon. */
    void write(byte[] data, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(data, 0, length);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
