package io.tcpstack.cli;

import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.TraceLadder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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
            description = {"Connections, listeners and TIME_WAIT/FIN_WAIT_2 records, like ss -tan.",
                    "FILTER is what ss takes: state NAME (repeatable; ss's names: established, syn-sent, syn-recv,"
                            + " fin-wait-1, fin-wait-2, time-wait, close-wait, last-ack, closing, listening, closed,"
                            + " and the groups all, connected, synchronized, bucket, big), then up to two ENDPOINTs"
                            + " (ADDR:PORT, ADDR or :PORT; two name a 4-tuple).",
                    "Example: tcpstack ctl conns -i state time-wait :80"})
    static final class Conns extends Request {
        @Option(names = "-i", description = "details like ss -tio: options, congestion control and its state, rtt, rto,"
                + " cwnd, bytes, retrans current/total, lost, sacked, unacked, delivery rate, the timer and its time left;"
                + " for a TIME_WAIT or FIN_WAIT_2 record the time it has left, timer:(timewait,59sec,0)")
        boolean info;

        @Option(names = "--kernel", description = "under each connection, the kernel's ss -tio line of its peer socket"
                + " (when the daemon runs in the namespace of its kernel peer)")
        boolean kernel;

        @Parameters(paramLabel = "FILTER", arity = "0..*", description = "state NAME ... ENDPOINT [ENDPOINT]")
        List<String> filter = List.of();

        @Override
        String request() {
            return join("conns" + (info ? " -i" : "") + (kernel ? " --kernel" : ""), filter);
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

    /** How to read a trace line (ctl trace --help); the README says the same ("Reading a trace"). */
    static final String TRACE_LEGEND = ""
            + "%n"
            + "Reading a trace line:%n"
            + "  4560.096949 SEGMENT_IN  198.18.0.2:80 198.18.0.1:39326 . seq=4147528808 ack=3016282802 win=63 len=0 q1 -> ESTAB%n"
            + "  clock    seconds on the stack's clock: CLOCK_MONOTONIC (System.nanoTime), the time since boot,%n"
            + "           that is the first figure of /proc/uptime less any time suspended (lessons: virtual, from 1 s)%n"
            + "  event    SEGMENT_IN  a segment arrived; '-> STATE' is the state it was processed in (the verdict)%n"
            + "           SEGMENT_OUT the stack sent it; [STATE] is the sender's state%n"
            + "           DROP        the stack dropped it; the reason is Linux's drop reason (TCP_INVALID_SEQUENCE...)%n"
            + "           FAULT       a fault rule (ctl fault) dropped, delayed, duplicated, reordered or corrupted it:%n"
            + "                       'rule N dropped: out SEGMENT rel=N', rel its sequence number from the ISN%n"
            + "           STATE, TIMER, NOTE: a state change, a timer that fired, a remark (the SYN-SENT rule)%n"
            + "  4-tuple  the stack's end, then the peer's%n"
            + "  segment  tcpdump's flags (S SYN, F FIN, R RST, P PSH, . ACK), absolute seq and ack, len in bytes;%n"
            + "           win is the header's field, unscaled: times 2^wscale of its sender gives bytes (ctl conns -i%n"
            + "           shows wscale:SND,RCV; ladders show it scaled); <...> a SYN's options, or SACK blocks%n"
            + "  qN       the queue (TUN queue, worker) that processed it: with affinity none one connection's%n"
            + "           segments use several at once, which is how they get reordered%n"
            + "  answered drops: a segment outside the receive window is dropped (DROP ... TCP_INVALID_SEQUENCE)%n"
            + "           and still answered with an ACK of rcv.nxt (RFC 9293 3.10.7.4, Linux tcp_send_dupack), so%n"
            + "           the peer can resynchronise: the SEGMENT_OUT next to it is that answer, no contradiction%n"
            + "  FIN-WAIT-2 -> FIN-WAIT-2: an orphaned connection (its application closed it) whose FIN was ACKed%n"
            + "           becomes a compact FIN-WAIT-2 record (Linux tcp_time_wait): same state, control block freed;%n"
            + "           it waits fin-timeout for the peer's FIN (ctl conns -i shows timer:(timewait,...))%n"
            + "  PAWS drops on reordering: with affinity none two workers can process one flow out of order; a%n"
            + "           segment over a tick older than the newest timestamp seen fails PAWS (RFC 7323 5.3,%n"
            + "           TCP_RFC7323_PAWS). In a download these are mostly the peer's pure ACKs, which later ACKs%n"
            + "           cover: nothing is lost. --affinity flow makes them vanish.%n"
            + "  -v       adds, after tabs, rule=NAME (the RFC section or Linux function behind the event; ladders%n"
            + "           explain it) and the connection's variables: state, iss, irs, snd.una, snd.nxt, rcv.nxt,%n"
            + "           windows in bytes, cwnd and ssthresh in segments, mss, armed timers with the ms they have left%n";

    @Command(name = "trace", mixinStandardHelpOptions = true,
            description = {"trace start [ENDPOINT [ENDPOINT]]: print the stack's events as they happen (segments in with"
                    + " their verdict, segments out, drops with their reason, state changes, timers, injected faults)"
                    + " until trace stop, the daemon stops, --count events or Ctrl-C.", "trace stop: end every trace.",
                    "trace --ladder [ENDPOINT...]: watch until Ctrl-C (or --count, --seconds), then draw the ladder of"
                            + " what was seen, with the stack's drop reasons and the rule behind every arrow.",
                    "ENDPOINT is ADDR:PORT, ADDR or :PORT, as ctl conns and kill take it; two name a 4-tuple."},
            footer = TRACE_LEGEND, usageHelpWidth = 120)
    static final class Trace implements Callable<Integer> {
        @Mixin
        ControlTarget target;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "start|stop|ENDPOINT", arity = "0..*",
                description = "start or stop, then the endpoints to watch (ADDR:PORT, ADDR or :PORT; two name a"
                        + " 4-tuple); with --ladder, only the endpoints")
        List<String> words = List.of();

        @Option(names = "--filter", paramLabel = "ENDPOINTS",
                description = "the same as ENDPOINT arguments, in one word: \"ADDR:PORT [ADDR:PORT]\", ADDR or :PORT")
        String filter;

        @Option(names = "--count", paramLabel = "N", description = "stop after N events")
        long count = Long.MAX_VALUE;

        @Option(names = "--seconds", paramLabel = "S", description = "stop after S seconds")
        long seconds;

        @Option(names = {"-v", "--verbose"}, description = "each event with its rule and the connection's variables")
        boolean verbose;

        @Option(names = "--ladder", description = "draw the ladder of what was traced when the trace ends")
        boolean ladder;

        @Option(names = "--save", paramLabel = "FILE", description = "with --ladder: also keep the trace (verbose) in"
                + " FILE, for tcpstack ladder FILE later")
        Path save;

        @Mixin
        LadderFiles files;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            String action = ladder ? "start" : words.isEmpty() ? "" : words.get(0);
            List<String> endpoints = ladder ? words : words.isEmpty() ? List.of() : words.subList(1, words.size());
            if (filter != null && !endpoints.isEmpty()) {
                throw new IllegalArgumentException("give endpoints as arguments or with --filter, not both");
            }
            String request = "trace start" + (verbose || ladder ? " -v" : "")
                    + (filter != null ? " " + filter.trim() : endpoints.isEmpty() ? "" : " " + String.join(" ", endpoints));
            try (ControlClient client = ControlClient.connect(target.socket())) {
                switch (action) {
                    case "stop" -> {
                        if (!endpoints.isEmpty()) {
                            throw new IllegalArgumentException("trace stop takes no ENDPOINT");
                        }
                        client.request("trace stop").forEach(out::println);
                    }
                    case "start" -> {
                        List<String> lines = stream(client, request, ladder ? null : out);
                        if (ladder) {
                            draw(lines, out);
                        }
                    }
                    default -> throw new IllegalArgumentException("trace takes start, stop or --ladder, got '"
                            + String.join(" ", words) + "'");
                }
            }
            out.flush();
            return 0;
        }

        /**
         * Streams events until --count, --seconds, Ctrl-C or the daemon ends the trace; prints each on
         * {@code out} (when not null) and returns them.
         */
        private List<String> stream(ControlClient client, String request, PrintWriter out) throws Exception {
            client.send(request);
            String status = client.status();
            if (!status.startsWith("stream")) {
                throw new IOException("unexpected reply: " + status);
            }
            StopSignal stop = StopSignal.install();
            List<String> lines = new ArrayList<>();
            Thread reader = new Thread(() -> read(client, lines, out, stop), "ctl-trace-reader");
            reader.setDaemon(true);
            reader.start();
            long deadline = seconds > 0 ? System.nanoTime() + seconds * 1_000_000_000L : Long.MAX_VALUE;
            while (reader.isAlive() && !stop.await(100) && System.nanoTime() < deadline) {
                // the reader stops at --count or when the trace ends; a signal or --seconds stop it here
            }
            if (reader.isAlive()) {
                client.close(); // ends the reader's blocking read
                reader.join(2000);
            }
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        private void read(ControlClient client, List<String> lines, PrintWriter out, StopSignal stop) {
            long events = 0;
            try {
                String line;
                while (events < count && (line = client.readLine()) != null) {
                    if (line.startsWith("end ")) {
                        spec.commandLine().getErr().println("trace ended: " + line.substring(4));
                        break;
                    }
                    synchronized (lines) {
                        lines.add(line);
                    }
                    if (out != null) {
                        out.println(line);
                        out.flush();
                    }
                    if (!line.startsWith("#")) {
                        events++;
                    }
                }
            } catch (IOException e) {
                // closed by the main thread at the end of the trace
            }
        }

        private void draw(List<String> lines, PrintWriter out) throws IOException {
            if (save != null) {
                Files.write(save, lines);
                out.println("saved " + lines.size() + " trace lines to " + save);
            }
            List<TraceEvent> events = new ArrayList<>();
            for (String line : lines) {
                if (line.startsWith("#")) {
                    out.println(line);
                } else {
                    events.add(TraceEvent.parse(line));
                }
            }
            if (events.isEmpty()) {
                out.println("nothing was traced");
                return;
            }
            files.write(TraceLadder.fromTrace("tcpstack ctl trace --ladder", events, false), List.of(), out);
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
