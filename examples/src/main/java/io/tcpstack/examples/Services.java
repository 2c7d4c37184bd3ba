package io.tcpstack.examples;

import io.netty.util.concurrent.FastThreadLocalThread;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.TcpStack;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts services on a stack ({@code --services echo:7,discard:9,http:80,chargen:19}): one accept thread per
 * port, one thread per connection.
 */
public final class Services implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Services.class);
    private static final int BACKLOG = 128;
    private final List<TcpServerSocket> servers = new ArrayList<>();
    private final List<Thread> acceptors = new ArrayList<>();
    private final AtomicInteger threadIds = new AtomicInteger();
    private final ExecutorService connections = Executors.newCachedThreadPool(r -> {
        // netty recycles the ByteBuf objects of the segments a write sends only on a FastThreadLocalThread
        Thread t = new FastThreadLocalThread(r, "tcpstack-conn-" + threadIds.incrementAndGet());
        t.setDaemon(true);
        return t;
    });
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
        TcpServerSocket server = stack.listen(port, BACKLOG);
        servers.add(server);
        Thread acceptor = new Thread(() -> acceptLoop(server, name, service), "tcpstack-accept-" + name);
        acceptor.setDaemon(true);
        acceptors.add(acceptor);
        acceptor.start();
        log.info("serving {} on port {}", name, port);
    }

    private void acceptLoop(TcpServerSocket server, String name, Service service) {
        while (!closed) {
            TcpSocket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("{}: accept failed: {}", name, e.getMessage());
                }
                return;
            }
            connections.execute(() -> {
                try (socket) {
                    service.serve(socket);
                } catch (IOException e) {
                    log.debug("{}: {}: {}", name, socket, e.getMessage());
                } catch (RuntimeException e) {
                    log.error("{}: {} failed", name, socket, e);
                }
            });
        }
    }

    @Override
    public void close() {
        closed = true;
        servers.forEach(TcpServerSocket::close);
        connections.shutdownNow();
        try {
            connections.awaitTermination(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
