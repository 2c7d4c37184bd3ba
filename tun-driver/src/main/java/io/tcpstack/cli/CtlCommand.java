package io.tcpstack.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tcpstack ctl}: asks a running daemon through its control socket. Each subcommand is
 * one request; the reply's lines are printed as they come. An error reply is printed on stderr
 * and the exit status is 1.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = "Observe and steer a running daemon through its control socket (root or the control group).",
        subcommands = {CtlCommand.Status.class, CtlCommand.Conns.class, CtlCommand.Stats.class, CtlCommand.Get.class,
                CtlCommand.Set.class, CtlCommand.ProfileCmd.class, CtlCommand.Trace.class, CtlCommand.Pcap.class,
                CtlCommand.Kill.class, CtlCommand.Fault.class})
final class CtlCommand {

    /** A subcommand that is one request with an {@code ok N} reply, printed line by line. */
    abstract static class Request implements Callable<Integer> {
        @Mixin
        ControlTarget target;

        @Spec
        CommandSpec spec;

        abstract String request();

        @Override
        public Integer call() throws IOException {
            try (ControlClient client = ControlClient.connect(target.socket())) {
                PrintWriter out = spec.commandLine().getOut();
                client.request(request()).forEach(out::println);
                out.flush();
                return 0;
            }
        }
    }

    static String join(String command, List<String> words) {
        List<String> all = new ArrayList<>();
        all.add(command);
        all.addAll(words);
        return String.join(" ", all);
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Device, address, knobs in force, uptime.")
    static final class Status extends Request {
        @Override
        String request() {
            return "status";
        }
    }

    @Command(name = "conns", mixinStandardHelpOptions = true,
            description = {"Connections, listeners and TIME_WAIT records, like ss -tan.",
                    "ENDPOINT is ADDR:PORT, ADDR or :PORT; two name a 4-tuple."})
    static final class Conns extends Request {
        @Option(names = "-i", description = "details like ss -tio: options, congestion control and its state, rtt, rto,"
                + " cwnd, bytes, retrans current/total, lost, sacked, unacked, delivery rate, the timer and its time left")
        boolean info;

        @Option(names = "--kernel", description = "under each connection, the kernel's ss -tio line of its peer socket"
                + " (when the daemon runs in the namespace of its kernel peer)")
        boolean kernel;

        @Parameters(paramLabel = "ENDPOINT", arity = "0..2", description = "show only the matching connections")
        List<String> endpoints = List.of();

        @Override
        String request() {
            return join("conns" + (info ? " -i" : "") + (kernel ? " --kernel" : ""), endpoints);
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "Counters with nstat names, then drop reasons (zeros left out, like nstat).")
    static final class Stats extends Request {
        @Option(names = "-d", description = "what changed since your previous -d (like nstat without -a)")
        boolean deltas;

        @Option(names = "-z", description = "include counters that are zero")
        boolean zeros;

        @Option(names = "--json", description = "one JSON object, like nstat --json")
        boolean json;

        @Option(names = "--kernel", description = "the kernel's counters (nstat in the daemon's namespace) beside ours")
        boolean kernel;

        @Override
        String request() {
            return "stats" + (deltas ? " -d" : "") + (zeros ? " -z" : "") + (json ? " --json" : "")
                    + (kernel ? " --kernel" : "");
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Knob values (all of them without KNOB).")
    static final class Get extends Request {
        @Parameters(paramLabel = "KNOB", arity = "0..1", description = "a knob, as the daemon's flag or the Linux sysctl")
        String knob;

        @Override
        String request() {
            return knob == null ? "get" : "get " + knob;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Change a live knob of the running stack; prints every knob that changed.")
    static final class Set extends Request {
        @Parameters(index = "0", paramLabel = "KNOB")
        String knob;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "VALUE")
        List<String> value;

        @Override
        String request() {
            return join("set " + knob, value);
        }
    }

    @Command(name = "profile", mixinStandardHelpOptions = true,
            description = "Apply a behaviour profile (linux-5.5, linux-5.6, linux-4.9, rss); without NAME, show it.")
    static final class ProfileCmd extends Request {
        @Parameters(paramLabel = "NAME", arity = "0..1")
        String name;

        @Override
        String request() {
            return name == null ? "profile" : "profile " + name;
        }
    }

    @Command(name = "pcap", mixinStandardHelpOptions = true,
            description = {"Record packets while the daemon runs: pcap start FILE, pcap stop [FILE], pcap list.",
                    "Users other than root may record only to new files in the daemon's pcap-dir."})
    static final class Pcap extends Request {
        @Parameters(index = "0", paramLabel = "start|stop|list")
        String action;

        @Parameters(index = "1", arity = "0..1", paramLabel = "FILE")
        Path file;

        @Override
        String request() {
            String f = file == null ? "" : " " + file.toAbsolutePath().normalize();
            return switch (action) {
                case "list" -> "pcap";
                case "start", "stop" -> "pcap " + action + f;
                default -> throw new IllegalArgumentException("pcap takes start FILE, stop [FILE] or list, got '"
                        + action + "'");
            };
        }
    }

    @Command(name = "kill", mixinStandardHelpOptions = true,
            description = "Reset the matching connections, like ss -K: RST to the peer, ECONNABORTED to the owner.")
    static final class Kill extends Request {
        @Parameters(paramLabel = "ENDPOINT", arity = "1..2", description = "ADDR:PORT, ADDR or :PORT; two name a 4-tuple")
        List<String> endpoints;

        @Override
        String request() {
            return join("kill", endpoints);
        }
    }

    @Command(name = "trace", mixinStandardHelpOptions = true,
            description = {"trace start [ENDPOINT [ENDPOINT]]: print the stack's events as they happen (segments in with"
                    + " their verdict, segments out, drops with their reason, state changes, timers, injected faults)"
                    + " until trace stop, the daemon stops, --count events or Ctrl-C.", "trace stop: end every trace.",
                    "ENDPOINT is ADDR:PORT, ADDR or :PORT, as ctl conns and kill take it; two name a 4-tuple."})
    static final class Trace implements Callable<Integer> {
        @Mixin
        ControlTarget target;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "start|stop")
        String action;

        @Parameters(index = "1..2", arity = "0..2", paramLabel = "ENDPOINT",
                description = "only events of matching connections (start)")
        List<String> endpoints = List.of();

        @Option(names = "--filter", paramLabel = "ENDPOINTS",
                description = "the same as ENDPOINT arguments, in one word: \"ADDR:PORT [ADDR:PORT]\", ADDR or :PORT")
        String filter;

        @Option(names = "--count", paramLabel = "N", description = "stop after N events")
        long count = Long.MAX_VALUE;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            try (ControlClient client = ControlClient.connect(target.socket())) {
                switch (action) {
                    case "stop" -> {
                        if (!endpoints.isEmpty()) {
                            throw new IllegalArgumentException("trace stop takes no ENDPOINT");
                        }
                        client.request("trace stop").forEach(out::println);
                    }
                    case "start" -> stream(client, out);
                    default -> throw new IllegalArgumentException("trace takes start or stop, got '" + action + "'");
                }
            }
            out.flush();
            return 0;
        }

        private void stream(ControlClient client, PrintWriter out) throws IOException {
            if (filter != null && !endpoints.isEmpty()) {
                throw new IllegalArgumentException("give endpoints as arguments or with --filter, not both");
            }
            client.send(join("trace start", filter == null ? endpoints : List.of(filter.trim())));
            String status = client.status();
            if (!status.startsWith("stream")) {
                throw new IOException("unexpected reply: " + status);
            }
            long events = 0;
            String line;
            while (events < count && (line = client.readLine()) != null) {
                if (line.startsWith("end ")) {
                    spec.commandLine().getErr().println("trace ended: " + line.substring(4));
                    break;
                }
                out.println(line);
                out.flush();
                if (!line.startsWith("#")) {
                    events++;
                }
            }
        }
    }

    @Command(name = "fault", mixinStandardHelpOptions = true,
            description = {"Impair the stack's segments while the daemon runs, by ordered rules:",
                    "  fault add DIRECTION MATCH ACTION [OPTIONS]   add a rule after the others; prints its id",
                    "  fault list                                   the rules in order, with what each matched and did",
                    "  fault clear [ID...]                          remove those rules, or all",
                    "DIRECTION  in | out | both (out: what the stack sends)",
                    "MATCH      any, or all of: ENDPOINT [ENDPOINT] (as ctl conns), syn, fin, rst (segments carrying"
                            + " the flag), ack (pure ACK), data, empty, flags=FLAGS[/MASK] (tcpdump letters, . is ACK),"
                            + " seq=FROM-TO (from the ISN: 0 is the SYN)",
                    "ACTION     drop | delay DURATION [jitter=D] | duplicate | reorder [by=N] [max=D] | corrupt",
                    "OPTIONS    every=N | p=P | once | nth=K (which matches it acts on), fresh-only (never a"
                            + " retransmission), seed=N",
                    "Examples:  fault add out :80 data drop once fresh-only",
                    "           fault add both any drop p=0.05 seed=7; fault add in :9 ack delay 20ms"})
    static final class Fault extends Request {
        @Parameters(index = "0", paramLabel = "add|list|clear")
        String action;

        @Parameters(index = "1..*", arity = "0..*", paramLabel = "WORDS", description = "the rule (add) or ids (clear)")
        List<String> words = List.of();

        @Override
        String request() {
            return join("fault " + action, words);
        }
    }
}
