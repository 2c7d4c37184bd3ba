package io.tcpstack.daemon.services;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts services on a stack ({@code --services echo:7,discard:9,http:80,chargen:19}), event-driven:
 * each port listens with an acceptor ({@link TcpStack#listen(int, int, TcpHandler.Acceptor)}), and
 * every connection is served by its {@link Service.Session} on the stack thread that received its
 * segments. No accept thread and no thread per connection: a short connection's request is
 * answered in the same receive burst that brought it (scripts/bench: the two hand-offs of a
 * thread-per-connection server were most of its latency).
 */
public final class Services implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Services.class);
    private static final int BACKLOG = 128;
    private final List<TcpServerSocket> servers = new ArrayList<>();
    /** Connections a session still serves: closed by {@link #close()}. */
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    static Service create(String name) {
        return switch (name) {
            case "echo" -> new EchoService();
            case "discard" -> new DiscardService();
            case "http" -> new HttpService("tcpstack: a userspace TCP/IP stack in Java, serving you over TUN.");
            case "chargen" -> new ChargenService();
            default -> throw new IllegalArgumentException("unknown service " + name);
        };
    }

    /** Listens on every port of {@code spec} and starts serving. */
    public static Services start(TcpStack stack, Map<String, Integer> spec) throws IOException {
        Services services = new Services();
        for (Map.Entry<String, Integer> e : spec.entrySet()) {
            services.host(stack, e.getValue(), e.getKey(), create(e.getKey()));
        }
        return services;
    }

    /** Serves {@code service} on {@code port}. */
    public void host(TcpStack stack, int port, String name, Service service) throws IOException {
        servers.add(stack.listen(port, BACKLOG, connection -> accept(name, service, connection)));
        log.info("serving {} on port {}", name, port);
    }

    private TcpHandler accept(String name, Service service, Connection connection) {
        if (closed) {
            connection.abort(); // accepted in the instant of close(): nobody will serve it
            return c -> { };
        }
        Service.Session session = service.open(connection);
        open.add(connection);
        return c -> {
            try {
                session.onChange(c);
            } catch (IOException e) {
                log.debug("{}: {}: {}", name, c, e.getMessage());
                c.close();
            } catch (RuntimeException e) {
                log.error("{}: {} failed", name, c, e);
                c.abort();
            }
            if (c.isClosed()) {
                open.remove(c);
            }
        };
    }

    /** Stops listening and closes (FIN) every connection still served. */
    @Override
    public void close() {
        closed = true;
        servers.forEach(TcpServerSocket::close);
        for (Connection c : open) {
            c.close();
            open.remove(c);
        }
    }
}
