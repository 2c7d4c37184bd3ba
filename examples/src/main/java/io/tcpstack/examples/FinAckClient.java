package io.tcpstack.examples;

import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client run of the {@link FinAckLatency} test: connects from the same local port round after
 * round (again at once after a refusal), exchanges the 4 bytes, reads the server's FIN and resets
 * with SO_LINGER 0, as fin_ack_lat.c's client; times every connect.
 */
final class FinAckClient {
    /** Logs as the test it is part of. */
    private static final Logger log = LoggerFactory.getLogger(FinAckLatency.class);

    private final TcpStack stack;
    private final String serverAddr;
    private final int port;
    private final int localPort;
    private final long end;
    final LatencyHistogram connects;
    int refused;

    FinAckClient(TcpStack stack, String serverAddr, int port, int localPort, int count, long end) {
        this.stack = stack;
        this.serverAddr = serverAddr;
        this.port = port;
        this.localPort = localPort;
        this.end = end;
        this.connects = new LatencyHistogram(count);
    }

    /** One connection; false when the deadline passed before it completed. */
    boolean round(int round) throws IOException {
        long start = System.nanoTime();
        TcpSocket socket;
        try {
            socket = connect(round);
        } catch (SocketTimeoutException e) {
            return false;
        }
        long connectMicros = (System.nanoTime() - start) / 1000;
        connects.recordMicros(connectMicros);
        if (connectMicros > FinAckLatency.SLOW_MICROS) {
            log.debug("round {}: connect from port {} took {} ms", round, localPort,
                    LatencyHistogram.formatMillis(connectMicros));
        }
        socket.setSoLinger(true, 0);
        try (socket) {
            socket.setNoDelay(true);
            byte[] request = ByteBuffer.allocate(FinAckLatency.MESSAGE_BYTES).putInt(round).array();
            socket.getOutputStream().write(request);
            byte[] reply = new byte[FinAckLatency.MESSAGE_BYTES];
            FinAckLatency.readFully(socket, reply, end);
            if (!Arrays.equals(request, reply)) {
                throw new IOException("round " + round + ": reply " + Arrays.toString(reply)
                        + " is not the request " + Arrays.toString(request));
            }
            FinAckLatency.setTimeoutUntil(socket, end);
            if (socket.getInputStream().read() >= 0) {
                throw new IOException("round " + round + ": the server sent more than " + FinAckLatency.MESSAGE_BYTES
                        + " bytes");
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    /** Connects, again at once after a refusal; SocketTimeoutException at the deadline. */
    private TcpSocket connect(int round) throws IOException {
        for (int attempt = 1; ; attempt++) {
            long left = FinAckLatency.millisLeft(end);
            if (left <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            try {
                return stack.connect(serverAddr, port, localPort, left);
            } catch (TcpException e) {
                if (e.error() != TcpError.CONNECTION_REFUSED || attempt == FinAckLatency.MAX_CONNECT_ATTEMPTS) {
                    throw e;
                }
                refused++;
                log.debug("round {}: connect from port {} refused, attempt {}", round, localPort, attempt);
            }
        }
    }
}
