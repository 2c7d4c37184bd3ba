package io.tcpstack.cli;

import io.tcpstack.api.TcpStack;
import io.tcpstack.config.Config;
import io.tcpstack.daemon.TunHost;
import io.tcpstack.examples.FinAckLatency;
import io.tcpstack.examples.FinAckServer;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.config.Groups;
import io.tcpstack.control.ControlCommands;
import io.tcpstack.control.ControlServer;
import io.tcpstack.control.PeerPolicy;
import io.tcpstack.daemon.TraceHub;
import io.tcpstack.trace.Ladder;
import io.tcpstack.trace.TextLadder;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.TraceLadder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tcpstack finack client|server}: the kernel selftest fin_ack_lat with the stack on one
 * side, on a TUN device; scripts/fin_ack_lat.py is the kernel's side.
 */
@Command(name = "finack", mixinStandardHelpOptions = true,
        description = "Reconnect latency after the FIN/ACK race (like the kernel's fin_ack_lat selftest).",
        subcommands = {FinAckCommand.Client.class, FinAckCommand.Server.class})
final class FinAckCommand {
    /** Trace events kept for the ladder; a round makes about 15. */
    private static final int MAX_TRACE_EVENTS = 200_000;

    /** The stack's counters that tell the story, in one line. */
    static String counters(TunHost host) {
        TcpStack s = host.stack();
        return "stack: stale-lookup-drops=" + s.stats().get(Counter.TcpExtStaleLookupDrop)
                + " syn-retrans=" + s.stats().get(Counter.TcpExtTCPSynRetrans)
                // in SYN-SENT: the peer's old connection answered our SYN with its ACK
                + " invalid-ack-drops=" + s.stats().get(DropReason.TCP_INVALID_ACK_SEQUENCE)
                + " out-rsts=" + s.stats().get(Counter.TcpOutRsts)
                + " fault-drops=" + s.stats().get(DropReason.FAULT_INJECTED);
    }

    @Command(name = "client", mixinStandardHelpOptions = true, abbreviateSynopsis = true,
            description = "Connect COUNT times from one local port to a fin-ack-lat server; print the connect-time figures.")
    static final class Client extends KnobCommand implements Callable<Integer> {
        @Option(names = "--server", defaultValue = "198.18.0.1", description = "server address (default: ${DEFAULT-VALUE})")
        String server;

        @Option(names = "--port", defaultValue = "5001", description = "server port (default: ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--local-port", defaultValue = "40000", description = "the one local port (default: ${DEFAULT-VALUE})")
        int localPort;

        @Option(names = "--count", defaultValue = "200", description = "connections (default: ${DEFAULT-VALUE})")
        int count;

        @Option(names = "--deadline", defaultValue = "120", description = "seconds before the run stops (default: ${DEFAULT-VALUE})")
        int deadlineSeconds;

        @Option(names = "--ladder", description = "print a ladder diagram of the slowest connect")
        boolean ladder;

        @Option(names = "--json", description = "also print the figures as one JSON line")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Config config = resolve(null);
            try (TunHost host = TunHost.open(config.stackOptions())) {
                Recorder events = new Recorder();
                if (ladder) {
                    host.stack().tracer().setListener(events);
                }
                System.out.println("fin-ack-lat client: " + host.describe());
                FinAckLatency.Result result = FinAckLatency.runClient(host.stack(), server, port, localPort, count,
                        Duration.ofSeconds(deadlineSeconds));
                System.out.println(result.summary() + (result.deadlineReached() ? " (deadline reached)" : ""));
                System.out.println(counters(host));
                if (json) {
                    System.out.println(result.json());
                }
                if (ladder) {
                    printLadder("connect", Ladder.slowestConnect(events.events(), Ladder.dropped("TCP_INVALID_ACK_SEQUENCE")));
                }
                return result.deadlineReached() ? 3 : 0;
            }
        }
    }

    /** Collects the stack's trace events for a ladder (at most {@link #MAX_TRACE_EVENTS}). */
    static final class Recorder implements Consumer<TraceEvent> {
        private final List<TraceEvent> events = new ArrayList<>();

        @Override
        public synchronized void accept(TraceEvent e) {
            if (events.size() < MAX_TRACE_EVENTS) {
                events.add(e);
            }
        }

        synchronized List<TraceEvent> events() {
            return List.copyOf(events);
        }
    }

    /** Prints the ladder of {@code w} (what: "connect" or "accept"), drops with their reasons. */
    static void printLadder(String what, Ladder.Window w) {
        if (w == null) {
            System.out.println("ladder: no " + what + " completed");
            return;
        }
        System.out.printf("ladder of the slowest %s (%.1f ms; one that met a drop, if any did), %s, from the"
                + " previous connection's ESTAB on:%n", what, w.connectNanos() / 1e6, w.connection());
        System.out.print(TextLadder.render(TraceLadder.fromTrace("slowest " + what, w.events(), false), false));
    }

    @Command(name = "server", mixinStandardHelpOptions = true, abbreviateSynopsis = true,
            description = "Serve fin-ack-lat clients (read 4 bytes, echo them, close first) until COUNT or the lifetime.")
    static final class Server extends KnobCommand implements Callable<Integer> {
        @Option(names = "--port", defaultValue = "5001", description = "port (default: ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--count", defaultValue = "200", description = "connections to serve (default: ${DEFAULT-VALUE})")
        int count;

        @Option(names = "--lifetime", defaultValue = "120", description = "seconds before it stops (default: ${DEFAULT-VALUE})")
        int lifetimeSeconds;

        @Option(names = "--control", paramLabel = "PATH", description = "a control socket, so that tcpstack ctl --control"
                + " PATH can watch (ctl trace, ctl conns) and steer (ctl set) the server while it runs")
        Path control;

        @Option(names = "--ladder", description = "print a ladder diagram of the slowest accept, with how the previous"
                + " connection from that port ended")
        boolean ladder;

        @Override
        public Integer call() throws Exception {
            Config config = resolve(null);
            StopSignal stop = StopSignal.install();
            try (TunHost host = TunHost.open(config.stackOptions());
                    FinAckServer server = FinAckLatency.startServer(host.stack(), port, count,
                            Duration.ofSeconds(lifetimeSeconds))) {
                TraceHub traces = new TraceHub(host.stack().tracer());
                Recorder events = new Recorder();
                if (ladder) {
                    traces.add(events);
                }
                ControlServer controlServer = control == null ? null : ControlServer.start(control.toAbsolutePath(),
                        new PeerPolicy(Groups.ownGid(), Groups.ownUid(), Groups::supplementary),
                        config.controlTimeoutMs(), new ControlCommands(host.stack(), host.pcap(), host.faults(),
                                host::describe, config, traces));
                try {
                    System.out.println("fin-ack-lat server ready: " + host.describe() + " port=" + port
                            + (control == null ? "" : " control=" + control.toAbsolutePath()));
                    System.out.flush();
                    while (!server.finished() && !stop.await(50)) {
                        // the server stops itself at its count or lifetime; a signal stops it early
                    }
                    // let the last close finish (the peer's RST or FIN) before the counters are read
                    stop.await(500);
                } finally {
                    if (controlServer != null) {
                        controlServer.close();
                    }
                }
                System.out.println(server + " " + counters(host));
                if (ladder) {
                    printLadder("accept", Ladder.slowestAccept(events.events(), Ladder.dropped("TCP_CLOSE")));
                }
                return 0;
            }
        }
    }
}
