package io.tcpstack.daemon.services;

import io.tcpstack.api.types.Connection;
import java.nio.charset.StandardCharsets;

/**
 * RFC 864 character generator: sends the 72-character lines of printable ASCII, rotating by one
 * character per line, until the client goes away (its reset ends the session). The bulk source of
 * the benchmarks: the pattern is built once, so the service costs only the socket writes.
 */
public final class ChargenService implements Service {
    /** RFC 864: the 95 printable characters, 72 per line, each line starting one further on. */
    private static final byte[] PATTERN = pattern();
    /** Lines in the pattern: whole rotations, so that it repeats seamlessly. */
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
    public Session open(Connection connection) {
        return new Session() {
            /** Where in the pattern the next write starts. */
            private int position;

            @Override
            public void onChange(Connection c) throws java.io.IOException {
                int n;
                do {
                    n = c.writeNow(PATTERN, position, PATTERN.length - position);
                    position = (position + n) % PATTERN.length;
                } while (n > 0); // until the send buffer is full: more when ACKs free it
            }
        };
    }
}
