package io.tcpstack.daemon.services;

import io.tcpstack.api.types.Connection;
import java.io.IOException;

/** RFC 863 discard: reads and throws away everything; closes after the client does. */
public final class DiscardService implements Service {
    /**
     * Where discarded bytes go: one array for every connection and thread, since nobody reads it
     * (concurrent writes to it are harmless).
     */
    private static final byte[] SINK = new byte[64 * 1024];

    @Override
    public Session open(Connection connection) {
        return c -> {
            int n;
            while ((n = c.readNow(SINK, 0, SINK.length)) > 0) {
                // discard
            }
            if (n < 0) {
                c.close();
            }
        };
    }
}
