package io.tcpstack.cli;

import io.tcpstack.api.TcpStack;
import io.tcpstack.config.Config;
import io.tcpstack.daemon.TunHost;
import io.tcpstack.examples.FinAckLatency;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.trace.Ladder;
import io.tcpstack.trace.TraceEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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
                List<TraceEvent> events = new ArrayList<>();
                if (ladder) {
                    host.stack().tracer().setListener(e -> {
                        synchronized (events) {
                            if (events.size() < MAX_TRACE_EVENTS) {
                                events.add(e);
                            }
                        }
                    });
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
                    printLadder(events);
                }
                return result.deadlineReached() ? 3 : 0;
            }
        }

        private static void printLadder(List<TraceEvent> events) {
            Ladder.Window w;
            synchronized (events) {
                w = Ladder.slowestConnect(List.copyOf(events), 4);
            }
            if (w == null) {
                System.out.println("ladder: no connect completed");
                return;
            }
            System.out.printf("ladder of the slowest connect (%.1f ms), %s:%n", w.connectNanos() / 1e6, w.connection());
            System.out.print(Ladder.render(w.connection(), w.events()));
        }
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

        @Override
        public Integer call() throws Exception {
            Config config = resolve(null);
            StopSignal stop = StopSignal.install();
            try (TunHost host = TunHost.open(config.stackOptions());
                    FinAckLatency.Server server = FinAckLatency.startServer(host.stack(), port, count,
                            Duration.ofSeconds(lifetimeSeconds))) {
                System.out.println("fin-ack-lat server ready: " + host.describe() + " port=" + port);
                System.out.flush();
                while (!server.finished() && !stop.await(50)) {
                    // the server stops itself at its count or lifetime; a signal stops it early
                }
                // let the last close finish (the peer's RST or FIN) before the counters are read
                stop.await(500);
                System.out.println(server + " " + counters(host));
                return 0;
            }
        }
    }
}
