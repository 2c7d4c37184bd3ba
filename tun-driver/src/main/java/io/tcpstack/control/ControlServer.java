package io.tcpstack.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control socket: a Unix stream socket (mode 0660, owned by root or the daemon's
 * user and the control group) on which {@code tcpstack ctl} and {@code tcpstack nc} talk to the
 * daemon. Every client is checked with SO_PEERCRED ({@link PeerPolicy}) and served on its own
 * thread, at most {@link #MAX_CLIENTS} at once, so a slow or silent client holds only itself.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    /** Clients served at once; the next ones are told so and closed. */
    public static final int MAX_CLIENTS = 256;

    private final Path path;
    private final UnixServerSocketChannel server;
    private final PeerPolicy policy;
    private final long timeoutMs;
    private final ControlCommands commands;
    private final Semaphore slots = new Semaphore(MAX_CLIENTS);
    private final Set<ControlConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger threadIds = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean closed;

    private ControlServer(Path path, UnixServerSocketChannel server, PeerPolicy policy, long timeoutMs,
            ControlCommands commands) {
        this.path = path;
        this.server = server;
        this.policy = policy;
        this.timeoutMs = timeoutMs;
        this.commands = commands;
        this.acceptor = new Thread(this::acceptLoop, "tcpstack-ctl-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds {@code path} (creating its directory, mode 0755, if missing; replacing a stale socket
     * nobody answers on), gives it mode 0660 and group {@code policy.socketGid()}, and starts
     * accepting.
     */
    public static ControlServer start(Path path, PeerPolicy policy, long timeoutMs, ControlCommands commands)
            throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        removeStale(path);
        // bind under a temporary name and rename once mode and group are set: no moment where
        // the socket is reachable with the umask's mode
        Path temporary = dir.resolve("." + path.getFileName() + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(temporary);
        UnixServerSocketChannel server = UnixServerSocketChannel.open();
        try {
            server.socket().bind(new UnixSocketAddress(temporary.toFile()));
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-rw----"));
            Files.setAttribute(temporary, "unix:gid", policy.socketGid(), LinkOption.NOFOLLOW_LINKS);
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(temporary);
            throw new IOException("cannot create control socket " + path + ": " + e.getMessage(), e);
        }
        ControlServer s = new ControlServer(path, server, policy, timeoutMs, commands);
        s.acceptor.start();
        log.info("control socket {} (mode 0660, gid {})", path, policy.socketGid());
        return s;
    }

    /** Deletes a socket file no daemon answers on; refuses to touch a live one or a file that is not a socket. */
    private static void removeStale(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isOther()) {
            throw new IOException("control socket path " + path + " exists and is not a socket");
        }
        boolean answered;
        try (UnixSocketChannel probe = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
            answered = probe.isConnected();
        } catch (IOException e) {
            answered = false; // connection refused: left by a daemon that did not exit cleanly
        }
        if (answered) {
            throw new IOException("control socket " + path + " is in use by a running daemon (--control PATH picks another)");
        }
        Files.delete(path);
        log.info("removed stale control socket {}", path);
    }

    public Path path() {
        return path;
    }

    /** Clients being served now (each holds one of the {@link #MAX_CLIENTS} slots). */
    public int clientCount() {
        return open.size();
    }

    private void acceptLoop() {
        while (!closed) {
            UnixSocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.error("control socket accept failed: {}", e.toString());
                }
                return;
            }
            if (channel != null) {
                admit(channel);
            }
        }
    }

    private void admit(UnixSocketChannel channel) {
        Peer peer;
        try {
            Credentials c = channel.getOption(UnixSocketOptions.SO_PEERCRED);
            peer = new Peer(c.getPid(), c.getUid(), c.getGid());
        } catch (IOException | RuntimeException e) {
            log.warn("control: refused a client whose credentials cannot be read: {}", e.toString());
            closeQuietly(channel);
            return;
        }
        ControlConnection connection = new ControlConnection(channel, peer);
        String refusal = policy.refusal(peer);
        if (refusal != null) {
            log.warn("control: refused {}: {}", peer, refusal);
            rejectWith(connection, "permission denied: " + refusal);
            return;
        }
        if (!slots.tryAcquire()) {
            log.warn("control: refused {}: {} clients are connected already", peer, MAX_CLIENTS);
            rejectWith(connection, "busy: " + MAX_CLIENTS + " clients are connected already");
            return;
        }
        open.add(connection);
        Thread t = new Thread(() -> serve(connection), "tcpstack-ctl-" + threadIds.incrementAndGet());
        t.setDaemon(true);
        t.start();
    }

    /** A one-line error to a client that is not served; the reply is short, so the write cannot block long. */
    private void rejectWith(ControlConnection connection, String message) {
        try {
            connection.setTimeout(1000);
            connection.error(message);
        } catch (IOException e) {
            log.debug("control: {} left before its refusal was sent", connection.peer());
        }
        connection.close();
    }

    private void serve(ControlConnection connection) {
        try {
            connection.setTimeout(timeoutMs);
            while (!closed) {
                String line;
                try {
                    line = connection.readLine();
                } catch (ControlConnection.BadRequest e) {
                    log.info("control: {} sent a bad request: {}", connection.peer(), e.getMessage());
                    connection.error(e.getMessage());
                    return;
                }
                if (line == null || !commands.handle(connection, line)) {
                    return;
                }
            }
        } catch (IOException e) {
            log.debug("control: {}: {}", connection.peer(), e.toString());
        } catch (RuntimeException e) {
            log.error("control: request from {} failed", connection.peer(), e);
        } finally {
            connection.close();
            open.remove(connection);
            slots.release();
        }
    }

    private static void closeQuietly(UnixSocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // refused anyway
        }
    }

    /** Stops accepting, closes every client connection and removes the socket file. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            log.debug("closing the control socket: {}", e.toString());
        }
        open.forEach(ControlConnection::close);
        try {
            acceptor.join(1000);
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove control socket {}: {}", path, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
