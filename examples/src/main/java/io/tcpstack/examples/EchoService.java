package io.tcpstack.examples;

import io.tcpstack.tcp.TcpConnection;
import java.io.IOException;

/**
 * RFC 862 echo: sends back every byte received, closes after the client does. Reads only what it
 * can send back: while the send buffer is full, received data waits and the receive window closes
 * (back-pressure to the client, as a blocking echo loop has).
 */
public final class EchoService implements Service {
    private static final int BUFFER = 16 * 1024;

    @Override
    public Session open(TcpConnection connection) {
        return new Session() {
            private byte[] buf;
            /** Received and not yet queued for sending: buf[start..end). */
            private int start;
            private int end;
            private boolean endOfStream;

            @Override
            public void onChange(TcpConnection c) throws IOException {
                while (true) {
                    if (start < end) {
                        start += c.writeNow(buf, start, end - start);
                        if (start < end) {
                            return; // the send buffer is full: more when ACKs free it
                        }
                    }
                    if (endOfStream) {
                        c.close();
                        return;
                    }
                    if (buf == null) {
                        buf = new byte[BUFFER];
                    }
                    int n = c.readNow(buf, 0, buf.length);
                    if (n == 0) {
                        return;
                    }
                    start = 0;
                    end = Math.max(n, 0);
                    endOfStream = n < 0;
                }
            }
        };
    }
}
