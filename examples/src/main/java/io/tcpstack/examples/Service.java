package io.tcpstack.examples;

import io.tcpstack.api.TcpSocket;
import java.io.IOException;

/** An application served on one port of the stack: handles one accepted connection to its end. */
@FunctionalInterface
public interface Service {
    void serve(TcpSocket socket) throws IOException;
}
