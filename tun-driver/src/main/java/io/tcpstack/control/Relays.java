package io.tcpstack.control;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tcpstack nc} on the daemon's side: a control connection becomes a byte pipe to a TCP
 * connection of the stack, one it opens ({@code connect}) or the first it accepts ({@code
 * listen}). The client's end of stream becomes a FIN (shutdown of the sending side, like nc -N);
 * the peer's FIN becomes the client's end of stream; a reset or an abort closes the client's
 * connection.
 */
final class Relays {
    private static final Logger log = LoggerFactory.getLogger(Relays.class);
    private static final int CHUNK = 16 * 1024;

    private final TcpStack stack;
    private final Set<Relay> open = ConcurrentHashMap.newKeySet();

    Relays(TcpStack stack) {
        this.stack = stack;
    }

    /**
     * Opens a connection (localPort 0: ephemeral; timeout 0: the SYN retries decide) and relays
     * it; false if it could not be opened (an error reply was sent, the client may ask again).
     */
    boolean connect(ControlConnection client, String address, int port, int localPort, long timeoutMs,
            RelayOptions options) throws IOException {
        TcpSocket socket;
        try {
            socket = stack.connect(address, port, localPort, timeoutMs, options.syn());
        } catch (IOException e) {
            client.error("connect to " + address + ":" + port + ": " + e.getMessage());
            return false;
        }
        Relay relay = new Relay(client, options);
        relay.socket.complete(socket);
        client.line("relay " + endpoints(socket) + String.format(" connected in %.3f ms (from our SYN to its SYN-ACK,"
                + " on the stack's clock)", socket.connection().handshakeNanos() / 1e6));
        relay.run();
        return true;
    }

    /**
     * Listens on {@code port}, relays the first connection that comes, and stops listening; false
     * if the port could not be opened (an error reply was sent).
     */
    boolean listen(ControlConnection client, int port, long timeoutMs, RelayOptions options) throws IOException {
        TcpServerSocket server;
        try {
            server = stack.listen(port, 1, null, options.syn());
        } catch (IOException e) {
            client.error("listen on port " + port + ": " + e.getMessage());
            return false;
        }
        Relay relay = new Relay(client, options);
        relay.listener = server;
        server.setSoTimeout((int) Math.min(timeoutMs, Integer.MAX_VALUE));
        client.line("listening " + Ipv4Address.format(stack.config().address()) + ":" + port);
        relay.startUpstream(); // notices a client that leaves before a peer comes, and keeps what it sends
        TcpSocket socket;
        try {
            socket = server.accept();
        } catch (IOException e) {
            // no peer in time, or the client left (it closed the listener)
            relay.socket.completeExceptionally(e);
            open.remove(relay);
            try {
                client.error("listen on port " + port + ": " + e.getMessage());
            } catch (IOException gone) {
                log.debug("relay: the client of listen {} left: {}", port, gone.toString());
            }
            client.close();
            return true;
        } finally {
            server.close();
        }
        relay.socket.complete(socket);
        client.line("relay " + endpoints(socket) + String.format(" accepted in %.3f ms (from our SYN-ACK to its ACK, on"
                + " the stack's clock)", socket.connection().handshakeNanos() / 1e6));
        relay.run();
        return true;
    }

    private static String endpoints(TcpSocket s) {
        return Ipv4Address.format(s.connection().localAddress()) + ":" + s.localPort() + " "
                + Ipv4Address.format(s.connection().remoteAddress()) + ":" + s.remotePort();
    }

    /** Ends every relay: FIN to each peer, the client connections closed (daemon shutdown). */
    void closeAll() {
        open.forEach(Relay::close);
    }

    int count() {
        return open.size();
    }

    /** One pipe: client -> peer on its own thread, peer -> client on the control connection's thread. */
    private final class Relay {
        private final ControlConnection client;
        private final RelayOptions options;
        private final CompletableFuture<TcpSocket> socket = new CompletableFuture<>();
        private final byte[] early;
        private volatile TcpServerSocket listener;
        private Thread upstream;
        private volatile Thread downstream;
        private volatile long up;
        private volatile long down;

        Relay(ControlConnection client, RelayOptions options) throws IOException {
            this.client = client;
            this.options = options;
            this.early = client.takePending();
            client.setTimeout(0); // an interactive pipe may idle for as long as its user likes
            open.add(this);
        }

        void startUpstream() {
            upstream = new Thread(this::upstream, Thread.currentThread().getName() + "-up");
            upstream.setDaemon(true);
            upstream.start();
        }

        /** Runs the peer -> client direction until the peer's FIN or a failure, then waits for the other. */
        void run() throws IOException {
            downstream = Thread.currentThread();
            if (upstream == null) {
                startUpstream();
            }
            TcpSocket s = socket.join();
            s.setNoDelay(options.noDelay());
            s.setSoLinger(options.lingerZero(), 0);
            try {
                InputStream in = s.getInputStream();
                byte[] buffer = new byte[CHUNK];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    client.write(ByteBuffer.wrap(buffer, 0, n));
                    down += n;
                }
                client.shutdownOutput();
                upstream.join();
            } catch (IOException e) {
                log.debug("relay {}: {}", s, e.toString());
                client.close(); // the client reads the end; its upstream thread wakes and ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                s.close();
                open.remove(this);
                log.debug("relay {} closed: {} bytes to the peer, {} bytes to the client", s, up, down);
            }
        }

        private void upstream() {
            try {
                if (early.length > 0) {
                    socket.get().getOutputStream().write(early);
                    up += early.length;
                }
                ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
                while (true) {
                    buffer.clear();
                    int n = client.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    OutputStream out = socket.get().getOutputStream();
                    out.write(buffer.array(), 0, n);
                    up += n;
                }
                TcpServerSocket l = listener;
                if (!socket.isDone() && l != null) {
                    l.close(); // the client left before a peer came: stop listening
                } else if (options.lingerZero()) {
                    socket.get().close(); // SO_LINGER 0: RST, not FIN
                } else {
                    socket.get().shutdownOutput();
                }
            } catch (IOException e) {
                log.debug("relay upstream: {}", e.toString());
                client.close();
            } catch (ExecutionException e) {
                log.debug("relay upstream: no connection: {}", e.getCause().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void close() {
            socket.thenAccept(TcpSocket::close);
            TcpServerSocket l = listener;
            if (l != null) {
                l.close();
            }
            Thread t = downstream;
            if (t != null) {
                t.interrupt();
            }
            client.close();
        }
    }
}
