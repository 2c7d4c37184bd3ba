package io.tcpstack.examples;

import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * RFC 864 character generator: sends the 72-character lines of printable ASCII, rotating by one
 * character per line, until the client goes away. The bulk source of the benchmarks: the pattern
 * is built once, so the service costs only the socket writes.
 */
public final class ChargenService implements Service {
    /** RFC 864: the 95 printable characters, 72 per line, each line starting one further on. */
    private static final byte[] PATTERN = pattern();
    /** Bytes per write: whole rotations of the pattern. */
    private static final int CHUNK_LINES = 95 * 9;

    private static byte[] pattern() {
        StringBuilder sb = new StringBuilder();
        for (int line = 0; line < CHUNK_LINES; line++) {
            for (int c = 0; c < 72; c++) {
                sb.append((char) (' ' + (line + c) % 95));
            }
            sb.append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void serve(TcpSocket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        while (true) {
            out.write(PATTERN, 0, PATTERN.length);
        }
    }
}
