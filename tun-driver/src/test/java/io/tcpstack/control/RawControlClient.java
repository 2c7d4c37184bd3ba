package io.tcpstack.control;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;

/** A bare control protocol client for tests: requests, replies, raw bytes, no checking of its own. */
public final class RawControlClient implements AutoCloseable {
    public static RawControlClient connect(Path socket) throws IOException {
        return new RawControlClient(UnixSocketChannel.open(new UnixSocketAddress(socket.toFile())));
    }

    public final UnixSocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 16);

    private RawControlClient(UnixSocketChannel channel) throws IOException {
        this.channel = channel;
        channel.setOption(UnixSocketOptions.SO_RCVTIMEO, 10_000);
        in.flip();
    }

    public void send(String text) throws IOException {
        write(text.getBytes(StandardCharsets.UTF_8));
    }

    public void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The next line, or null at end of stream (or after 10 s of silence). */
    public String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (!in.hasRemaining()) {
                in.clear();
                int n = channel.read(in);
                in.flip();
                if (n <= 0) {
                    return sb.length() == 0 ? null : sb.toString();
                }
            }
            byte b = in.get();
            if (b == '\n') {
                return sb.toString();
            }
            sb.append((char) b);
        }
    }

    /** Sends a request and returns its reply: the status line, then the body of an ok N. */
    public List<String> request(String request) throws IOException {
        send(request + "\n");
        List<String> reply = new ArrayList<>();
        String status = line();
        reply.add(status);
        if (status != null && status.startsWith("ok ")) {
            int n = Integer.parseInt(status.substring(3));
            for (int i = 0; i < n; i++) {
                reply.add(line());
            }
        }
        return reply;
    }

    /** The body of an ok reply; AssertionError otherwise. */
    public List<String> ok(String request) throws IOException {
        List<String> reply = request(request);
        if (reply.get(0) == null || !reply.get(0).startsWith("ok ")) {
            throw new AssertionError(request + " -> " + reply);
        }
        return reply.subList(1, reply.size());
    }

    /** Bytes after a relay status line. */
    public String readRaw(int length) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < length) {
            if (!in.hasRemaining()) {
                in.clear();
                int n = channel.read(in);
                in.flip();
                if (n <= 0) {
                    break;
                }
            }
            sb.append((char) in.get());
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
