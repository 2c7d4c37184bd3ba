package io.tcpstack.control;

import io.tcpstack.tun.LibC;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;

/**
 * The daemon's side of one control connection: request lines in, replies out (the protocol is
 * in README.md, "Control protocol"), or raw bytes once a relay takes it over. Reads and writes
 * time out (SO_RCVTIMEO, SO_SNDTIMEO), so a client that stops talking or reading only holds its
 * own thread, and only for that long.
 */
final class ControlConnection implements AutoCloseable {
    private static final Runtime RUNTIME = Runtime.getRuntime(LibC.INSTANCE);
    /** poll(2) events: the peer shut down its writing side; hang-up; error. */
    private static final short POLLRDHUP = 0x2000;
    private static final short POLLHUP = 0x10;
    private static final short POLLERR = 0x8;

    /** Longest request line, newline excluded. */
    static final int MAX_REQUEST = 4096;

    private final UnixSocketChannel channel;
    private final Peer peer;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(8192);
    private final byte[] pending = new byte[MAX_REQUEST + readBuffer.capacity()];
    private int pendingLength;
    private volatile long timeoutMs;

    /** A request that breaks the protocol (too long, not text): answered with an error, then the connection is closed. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    ControlConnection(UnixSocketChannel channel, Peer peer) {
        this.channel = channel;
        this.peer = peer;
    }

    Peer peer() {
        return peer;
    }

    /** Read and write timeout in ms (0: none, for relays). */
    void setTimeout(long millis) throws IOException {
        int ms = (int) Math.min(millis, Integer.MAX_VALUE);
        channel.setOption(UnixSocketOptions.SO_RCVTIMEO, ms);
        channel.setOption(UnixSocketOptions.SO_SNDTIMEO, ms);
        timeoutMs = millis;
    }

    /**
     * The next request line without its line end, or null when the client closed the connection
     * or sent nothing within the timeout.
     */
    String readLine() throws IOException, BadRequest {
        while (true) {
            for (int i = 0; i < pendingLength; i++) {
                if (pending[i] == '\n') {
                    String line = decode(Arrays.copyOf(pending, i));
                    System.arraycopy(pending, i + 1, pending, 0, pendingLength - i - 1);
                    pendingLength -= i + 1;
                    return line;
                }
            }
            if (pendingLength > MAX_REQUEST) {
                throw new BadRequest("request longer than " + MAX_REQUEST + " bytes");
            }
            readBuffer.clear();
            int n = channel.read(readBuffer);
            if (n <= 0) {
                return null; // -1: closed; 0: SO_RCVTIMEO expired
            }
            System.arraycopy(readBuffer.array(), 0, pending, pendingLength, n);
            pendingLength += n;
        }
    }

    private static String decode(byte[] bytes) throws BadRequest {
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        String line;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length));
            line = chars.toString();
        } catch (CharacterCodingException e) {
            throw new BadRequest("request is not UTF-8 text");
        }
        if (line.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
            throw new BadRequest("request contains control characters");
        }
        return line;
    }

    /** Bytes the client sent after the last request line (the start of relay data). */
    byte[] takePending() {
        byte[] rest = Arrays.copyOf(pending, pendingLength);
        pendingLength = 0;
        return rest;
    }

    /** "ok N" and the N lines of the body. */
    void ok(List<String> body) throws IOException {
        StringBuilder sb = new StringBuilder("ok ").append(body.size()).append('\n');
        body.forEach(line -> sb.append(line).append('\n'));
        send(sb.toString());
    }

    void error(String message) throws IOException {
        send("error " + message.replace('\n', ' ') + "\n");
    }

    /** One line (a status or an event line). */
    void line(String text) throws IOException {
        send(text + "\n");
    }

    void send(String text) throws IOException {
        write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes all of {@code buffer}; IOException when the client does not read within the timeout. */
    void write(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.write(buffer) <= 0) {
                throw new IOException("client did not read for " + timeoutMs + " ms");
            }
        }
    }

    /** Raw read for relays: bytes read, -1 at end of stream (0 only if a timeout is set and expired). */
    int read(ByteBuffer buffer) throws IOException {
        return channel.read(buffer);
    }

    /**
     * True when the client has closed or shut down its side (poll(2) reports POLLRDHUP or
     * POLLHUP), without reading anything: how a trace stream notices a client that left while no
     * event came.
     */
    boolean clientGone() {
        Pointer pollfd = Memory.allocateDirect(RUNTIME, 8, true);
        pollfd.putInt(0, channel.getFD());
        pollfd.putShort(4, (short) (POLLRDHUP | LibC.POLLIN));
        int n = LibC.INSTANCE.poll(pollfd, 1, 0);
        return n < 0 || (n > 0 && (pollfd.getShort(6) & (POLLRDHUP | POLLHUP | POLLERR)) != 0);
    }

    /** Half-close: the client reads end of stream, and may still send. */
    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing: nothing left to tell the client
        }
    }
}
