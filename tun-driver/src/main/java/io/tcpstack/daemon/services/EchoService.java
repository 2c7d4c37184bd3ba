package io.tcpstack.daemon.services;

import io.tcpstack.api.types.Connection;
import java.io.IOException;

/**
 * RFC 862 echo: sends back every byte received, closes after the client does. Reads only what it
 * can send back: while the send buffer is full, received data waits and the receive window closes
 * (back-pressure to the client, as a blocking echo loop has).
 */
public final class EchoService implements Service {
    private static final int BUFFER = 16 * 1024;

    @Override
    public Session open(Connection connection) {
        return new Session() {
            /** Received and not yet queued for sending. */
            private final Outbox received = new Outbox();
            private boolean endOfStream;

            @Override
            public void onChange(Connection c) throws IOException {
                while (received.drain(c)) { // else the send buffer is full: more when ACKs free it
                    if (endOfStream) {
                        c.close();
                        return;
                    }
                    if (received.data.length == 0) {
                        received.data = new byte[BUFFER];
                    }
                    int n = c.readNow(received.data, 0, received.data.length);
                    if (n == 0) {
                        return;
                    }
                    received.set(received.data, Math.max(n, 0));
                    endOfStream = n < 0;
                }
            }
        };
    }
}
