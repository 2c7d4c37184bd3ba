package io.tcpstack.examples;

import io.tcpstack.api.TcpSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** RFC 862 echo: sends back every byte received, closes after the client does. */
public final class EchoService implements Service {
    @Override
    public void serve(TcpSocket socket) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf, 0, buf.length)) > 0) {
            out.write(buf, 0, n);
        }
    }
}
