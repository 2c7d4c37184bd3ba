package io.tcpstack.control;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.config.Config;
import io.tcpstack.config.Groups;
import io.tcpstack.config.HostKnobs;
import io.tcpstack.daemon.TraceHub;
import io.tcpstack.daemon.services.Services;
import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.link.PcapLink;
import io.tcpstack.link.PipeLink;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The daemon's control side without a TUN device: a stack at 198.18.0.2 (echo on 7, the
 * daemon's) joined in memory to a peer stack at 198.18.0.1 (echo on 7, playing the kernel), and
 * the control server on a socket in a temporary directory.
 */
final class ControlFixture implements AutoCloseable {
    final TcpStack stack;
    final TcpStack peer;
    final PcapLink pcap;
    final FaultInjectingLink faults;
    final ControlCommands commands;
    final ControlServer server;
    final Path socket;
    private final Services services;
    private final Services peerServices;

    ControlFixture(Path dir, long timeoutMs) throws IOException {
        PipeLink[] pipe = PipeLink.pair(2, 1500);
        pcap = new PcapLink(pipe[0]);
        StackStats stats = new StackStats();
        Tracer tracer = new Tracer();
        faults = new FaultInjectingLink(pcap, List.of(IpAddress.parse("198.18.0.2")), Clock.system(), tracer, stats);
        stack = new TcpStack(StackConfig.builder().address("198.18.0.2").build(), faults, Clock.system(),
                new TcpSettings(), tracer, stats);
        peer = new TcpStack(StackConfig.builder().address("198.18.0.1").build(), pipe[1], Clock.system(), new TcpSettings());
        stack.start();
        peer.start();
        services = Services.start(stack, Map.of("echo", 7));
        peerServices = Services.start(peer, Map.of("echo", 7));
        Map<Knob, String> flags = Map.of(HostKnobs.PCAP_DIR, dir.resolve("pcaps").toString());
        Config config = Config.resolve(HostKnobs.forDaemon(), null, flags);
        commands = new ControlCommands(stack, pcap, faults, () -> "dev=pipe addr=198.18.0.2", config,
                new TraceHub(stack.tracer()));
        socket = dir.resolve("control.sock");
        server = ControlServer.start(socket, new PeerPolicy(Groups.ownGid(), Groups.ownUid(), Groups::supplementary),
                timeoutMs, commands);
    }

    /** Waits until the daemon's stack has the connection from the peer's {@code port} in ESTABLISHED. */
    void awaitEstablished(int peerPort) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (stack.connections().stream().noneMatch(c -> c.remotePort() == peerPort
                && c.state() == io.tcpstack.api.types.TcpState.ESTABLISHED)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no ESTABLISHED connection from port " + peerPort + ": " + stack.connections());
            }
            Thread.sleep(5);
        }
    }

    RawControlClient client() throws IOException {
        return RawControlClient.connect(socket);
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
