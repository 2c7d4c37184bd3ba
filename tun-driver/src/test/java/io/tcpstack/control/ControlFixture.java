package io.tcpstack.control;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.config.Config;
import io.tcpstack.config.Groups;
import io.tcpstack.config.HostKnobs;
import io.tcpstack.daemon.TraceHub;
import io.tcpstack.examples.Services;
import io.tcpstack.link.PcapLink;
import io.tcpstack.link.PipeLink;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.Clock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;

/**
 * The daemon's control side without a TUN device: a stack at 198.18.0.2 (echo on 7, the
 * daemon's) joined in memory to a peer stack at 198.18.0.1 (echo on 7, playing the kernel), and
 * the control server on a socket in a temporary directory.
 */
final class ControlFixture implements AutoCloseable {
    final TcpStack stack;
    final TcpStack peer;
    final PcapLink pcap;
    final ControlCommands commands;
    final ControlServer server;
    final Path socket;
    private final Services services;
    private final Services peerServices;

    ControlFixture(Path dir, long timeoutMs) throws IOException {
        PipeLink[] pipe = PipeLink.pair(2, 1500);
        pcap = new PcapLink(pipe[0]);
        stack = new TcpStack(StackConfig.builder().address("198.18.0.2").build(), pcap, Clock.system(), new TcpSettings());
        peer = new TcpStack(StackConfig.builder().address("198.18.0.1").build(), pipe[1], Clock.system(), new TcpSettings());
        stack.start();
        peer.start();
        services = Services.start(stack, Map.of("echo", 7));
        peerServices = Services.start(peer, Map.of("echo", 7));
        Map<Knob, String> flags = Map.of(HostKnobs.PCAP_DIR, dir.resolve("pcaps").toString());
        Config config = Config.resolve(HostKnobs.forDaemon(), null, flags);
        commands = new ControlCommands(stack, pcap, () -> "dev=pipe addr=198.18.0.2", config, new TraceHub(stack.tracer()));
        socket = dir.resolve("control.sock");
        server = ControlServer.start(socket, new PeerPolicy(Groups.ownGid(), Groups.ownUid(), Groups::supplementary),
                timeoutMs, commands);
    }

    /** Waits until the daemon's stack has the connection from the peer's {@code port} in ESTABLISHED. */
    void awaitEstablished(int peerPort) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (stack.connections().stream().noneMatch(c -> c.remotePort() == peerPort
                && c.state() == io.tcpstack.tcp.TcpState.ESTABLISHED)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no ESTABLISHED connection from port " + peerPort + ": " + stack.connections());
            }
            Thread.sleep(5);
        }
    }

    Client client() throws IOException {
        return new Client(UnixSocketChannel.open(new UnixSocketAddress(socket.toFile())));
    }

    /** A bare protocol client. */
    static final class Client implements AutoCloseable {
        final UnixSocketChannel channel;
        private final ByteBuffer in = ByteBuffer.allocate(1 << 16);

        Client(UnixSocketChannel channel) throws IOException {
            this.channel = channel;
            channel.setOption(UnixSocketOptions.SO_RCVTIMEO, 10_000);
            in.flip();
        }

        void send(String text) throws IOException {
            write(text.getBytes(StandardCharsets.UTF_8));
        }

        void write(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        /** The next line, or null at end of stream (or after 10 s of silence). */
        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (!in.hasRemaining()) {
                    in.clear();
                    int n = channel.read(in);
                    in.flip();
                    if (n <= 0) {
                        return sb.length() == 0 ? null : sb.toString();
                    }
                }
                byte b = in.get();
                if (b == '\n') {
                    return sb.toString();
                }
                sb.append((char) b);
            }
        }

        /** Sends a request and returns its reply: the status line, then the body of an ok N. */
        List<String> request(String request) throws IOException {
            send(request + "\n");
            List<String> reply = new ArrayList<>();
            String status = line();
            reply.add(status);
            if (status != null && status.startsWith("ok ")) {
                int n = Integer.parseInt(status.substring(3));
                for (int i = 0; i < n; i++) {
                    reply.add(line());
                }
            }
            return reply;
        }

        /** The body of an ok reply; AssertionError otherwise. */
        List<String> ok(String request) throws IOException {
            List<String> reply = request(request);
            if (reply.get(0) == null || !reply.get(0).startsWith("ok ")) {
                throw new AssertionError(request + " -> " + reply);
            }
            return reply.subList(1, reply.size());
        }

        /** Bytes after a relay status line. */
        String readRaw(int length) throws IOException {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < length) {
                if (!in.hasRemaining()) {
                    in.clear();
                    int n = channel.read(in);
                    in.flip();
                    if (n <= 0) {
                        break;
                    }
                }
                sb.append((char) in.get());
            }
            return sb.toString();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    @Override
    public void close() {
        server.close();
        commands.closeAll("test over");
        services.close();
        peerServices.close();
        peer.close();
        stack.close();
    }
}
