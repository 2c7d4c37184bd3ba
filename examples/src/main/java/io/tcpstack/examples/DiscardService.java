package io.tcpstack.examples;

import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.io.InputStream;

/** RFC 863 discard: reads and throws away everything. */
public final class DiscardService implements Service {
    @Override
    public void serve(TcpSocket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[64 * 1024];
        while (in.read(buf, 0, buf.length) > 0) {
            // discard
        }
    }
}
