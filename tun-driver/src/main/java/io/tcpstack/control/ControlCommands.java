package io.tcpstack.control;

import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.config.Config;
import io.tcpstack.daemon.TraceHub;
import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.link.PcapLink;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.wire.EndpointFilter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests the control socket answers (README.md, "Control protocol"): one line of words,
 * a command and its arguments. Replies are {@code ok N} and N lines, {@code error MESSAGE},
 * {@code stream} and event lines up to {@code end REASON} (trace), or {@code relay ...} and raw
 * bytes (connect, listen).
 */
public final class ControlCommands {
    private static final Logger log = LoggerFactory.getLogger(ControlCommands.class);

    static final List<String> HELP = List.of(
            "status                                   the daemon: device, address, profile, uptime, clients, queues",
            "conns [-i] [--kernel] [state NAME]... [ENDPOINT [ENDPOINT]] connections like ss -tan (-i: what ss -tio"
                    + " shows; --kernel: the kernel's ss line of each peer socket; state: ss's filter)",
            "stats [-d] [-z] [--json] [--kernel]      counters with nstat names (-d: since your last -d; -z: zeros too;"
                    + " --kernel: nstat of the daemon's namespace beside)",
            "get [KNOB]                               knob values (all without KNOB)",
            "set KNOB VALUE                           change a live knob now",
            "profile [NAME]                           apply a behaviour profile (show it without NAME)",
            "trace start [-v] [ENDPOINT [ENDPOINT]]   stream segments, verdicts, drops, state changes, timers (-v: rules, variables)",
            "trace stop                               end every trace stream",
            "pcap [start FILE | stop [FILE]]          record packets to FILE (absolute); list recordings",
            "kill ENDPOINT [ENDPOINT]                 reset the matching connections (like ss -K)",
            "fault add DIRECTION MATCH ACTION [OPTIONS] add an impairment rule after the others",
            "fault list | fault clear [ID...]         the rules in order with their counts; remove some or all",
            "connect ADDR PORT [LOCALPORT [TIMEOUT_MS]] [OPTION...] open a connection and relay it (tcpstack nc)",
            "listen PORT [TIMEOUT_MS] [OPTION...]     accept one connection and relay it (tcpstack nc -l)",
            "OPTION is ts=0|1 sack=0|1 ws=0|1 mss=N nodelay=0|1 linger=0 (what the SYN offers, socket options)",
            "ENDPOINT is ADDR:PORT, ADDR or :PORT; two endpoints name a 4-tuple");

    private final TcpStack stack;
    private final PcapLink recorder;
    private final Supplier<String> describe;
    private final TraceHub traces;
    private final KnobCommands knobs;
    private final TraceCommands traceCommands;
    private final PcapCommands pcaps;
    private final FaultCommands faults;
    private final FaultInjectingLink faultLink;
    private final Relays relays;
    private final StatsReport stats = new StatsReport();
    private final long startNanos = System.nanoTime();
    private volatile boolean stopping;

    /**
     * @param recorder the pcap recorder on the stack's link
     * @param faults the fault injector on the stack's link
     * @param describe one line naming the device and the knobs in force
     * @param config the configuration the daemon started with (host knobs are read from it)
     */
    public ControlCommands(TcpStack stack, PcapLink recorder, FaultInjectingLink faults, Supplier<String> describe,
            Config config, TraceHub traces) {
        this.stack = stack;
        this.recorder = recorder;
        this.faultLink = faults;
        this.faults = new FaultCommands(faults);
        this.describe = describe;
        this.traces = traces;
        this.knobs = new KnobCommands(stack, config);
        this.traceCommands = new TraceCommands(traces);
        this.pcaps = new PcapCommands(recorder, config);
        this.relays = new Relays(stack);
    }

    /** Relay connections open now. */
    public int relayCount() {
        return relays.count();
    }

    /** Daemon shutdown: every relay gets its FIN and its client is closed; every trace stream ends. */
    public void closeAll(String reason) {
        stopping = true;
        relays.closeAll();
        traceCommands.endTraces(reason);
    }

    /**
     * Answers one request. Returns false when the connection is done (a trace stream or a relay
     * ran on it and ended).
     */
    boolean handle(ControlConnection c, String line) throws IOException {
        List<String> words = Arrays.stream(line.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
        if (words.isEmpty()) {
            c.error("empty request (help lists the commands)");
            return true;
        }
        List<String> args = words.subList(1, words.size());
        try {
            switch (words.get(0)) {
                case "help" -> c.ok(HELP);
                case "status" -> c.ok(status());
                case "conns" -> c.ok(conns(args));
                case "stats" -> c.ok(stats(c.peer(), args));
                case "get" -> c.ok(knobs.get(args));
                case "set" -> c.ok(knobs.set(c.peer(), args));
                case "profile" -> c.ok(args.isEmpty() ? List.of("profile = " + KnobRegistry.describeProfile(stack.settings()))
                        : knobs.set(c.peer(), List.of("profile", only(args, "NAME"))));
                case "fault" -> c.ok(faults.handle(c.peer(), args));
                case "trace" -> {
                    return traceCommands.trace(c, args);
                }
                case "pcap" -> c.ok(pcaps.pcap(c.peer(), args));
                case "kill" -> c.ok(kill(c.peer(), args));
                case "connect" -> {
                    return !connect(c, args);
                }
                case "listen" -> {
                    return !listen(c, args);
                }
                default -> c.error("unknown command '" + words.get(0) + "' (help lists the commands)");
            }
        } catch (IllegalArgumentException e) {
            c.error(e.getMessage());
        }
        return true;
    }

    static String only(List<String> args, String what) {
        if (args.size() != 1) {
            throw new IllegalArgumentException("expected one " + what + ", got " + args.size() + " words");
        }
        return args.get(0);
    }

    private static int number(String text, String what, int min, int max) {
        try {
            int v = Integer.parseInt(text);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below with what is allowed
        }
        throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", got '" + text + "'");
    }

    private List<String> status() {
        List<ConnectionInfo> conns = stack.connections();
        return List.of(describe.get(),
                String.format("uptime %.1f s", (System.nanoTime() - startNanos) / 1e9),
                "connections " + conns.stream().filter(i -> i.state() != TcpState.LISTEN).count() + " listeners "
                        + conns.stream().filter(i -> i.state() == TcpState.LISTEN).count(),
                "trace streams " + traces.listeners().stream().filter(TraceStream.class::isInstance).count()
                        + " relays " + relays.count() + " pcap recordings " + recorder.recordings().size()
                        + " fault rules " + faultLink.rules().size(),
                inbound(), memory());
    }

    /** The budget's use, like /proc/net/sockstat's TCP line (mem, orphan, tw). */
    private String memory() {
        return "tcp memory " + stack.memoryPages() + " pages of " + stack.settings().tcpMem.high() + " (tcp-mem "
                + stack.settings().tcpMem + (stack.memoryPressure() ? ", under pressure" : "") + "); orphans "
                + stack.orphanCount() + "; time-wait records " + stack.timeWaitCount();
    }

    /** How inbound packets are steered to the queues, and how many arrived on each. */
    private String inbound() {
        StringBuilder line = new StringBuilder("inbound steering: ").append(stack.link().steering())
                .append("; packets per queue:");
        for (int q = 0; q < stack.inbound().queueCount(); q++) {
            line.append(' ').append(stack.inbound().received(q));
        }
        return line.toString();
    }

    // ---- observe

    /** {@code conns [-i] [--kernel] [state NAME]... [ENDPOINT [ENDPOINT]]}, as ss takes its state filter. */
    private List<String> conns(List<String> args) {
        boolean details = false;
        boolean kernel = false;
        List<String> states = new ArrayList<>();
        List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "-i" -> details = true;
                case "--kernel" -> kernel = true;
                case "state" -> {
                    if (++i == args.size()) {
                        throw new IllegalArgumentException("state takes a NAME (ss's: time-wait, established...)");
                    }
                    states.add(args.get(i));
                }
                default -> endpoints.add(args.get(i));
            }
        }
        rejectOptions(endpoints, "conns takes -i, --kernel and state NAME");
        EndpointFilter filter = EndpointFilter.parse(endpoints);
        StateFilter state = StateFilter.parse(states);
        List<ConnectionInfo> matching = stack.connections().stream()
                .filter(c -> state.matches(c.state()) && matches(filter, c)).toList();
        if (!kernel) {
            return SsFormat.lines(matching, details);
        }
        Map<String, String> sockets = KernelView.sockets();
        return SsFormat.lines(matching, details, c -> {
            String local = c.remoteAddress().withPort(c.remotePort());
            String peer = c.localAddress().withPort(c.localPort());
            String line = sockets.get(local + " " + peer);
            return line != null ? "kernel " + line
                    : "kernel: no socket " + local + " " + peer + " in the daemon's network namespace";
        });
    }

    private static boolean matches(EndpointFilter filter, ConnectionInfo c) {
        return filter.matches(c.localAddress(), c.localPort(), c.remoteAddress(), c.remotePort());
    }

    static void rejectOptions(List<String> words, String allowed) {
        words.stream().filter(w -> w.startsWith("-")).findFirst().ifPresent(w -> {
            throw new IllegalArgumentException("unknown option '" + w + "' (" + allowed + ")");
        });
    }

    private List<String> stats(Peer peer, List<String> args) {
        Set<String> known = Set.of("-d", "-z", "--json", "--kernel");
        args.stream().filter(a -> !known.contains(a)).findFirst().ifPresent(a -> {
            throw new IllegalArgumentException("unknown argument '" + a + "' (stats takes -d, -z, --json, --kernel)");
        });
        long currEstab = stack.connections().stream()
                .filter(i -> i.state() == TcpState.ESTABLISHED || i.state() == TcpState.CLOSE_WAIT).count();
        StatsReport.Snapshot now = StatsReport.take(stack.stats(), currEstab);
        if (args.contains("--kernel")) {
            now = now.withKernel(KernelView.counters());
        }
        return stats.report(now, peer.uid(), args.contains("-d"), args.contains("-z"), args.contains("--json"));
    }

    // ---- kill

    /** Resets every connection the endpoints match (Linux tcp_abort, as ss -K asks through sock_diag). */
    private List<String> kill(Peer peer, List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("kill needs ENDPOINT [ENDPOINT] (it will not reset every connection)");
        }
        rejectOptions(args, "kill takes endpoints");
        EndpointFilter filter = EndpointFilter.parse(args);
        List<ConnectionInfo> killed = new ArrayList<>();
        for (ConnectionInfo c : stack.connections()) {
            if (c.state() != TcpState.LISTEN && matches(filter, c)
                    && stack.abort(c.remoteAddress(), c.remotePort(), c.localPort())) {
                killed.add(c);
            }
        }
        if (killed.isEmpty()) {
            throw new IllegalArgumentException("no connection matches " + filter);
        }
        killed.forEach(c -> log.info("control: {} killed {} {} {}", peer, c.state().ssName(),
                c.localAddress().withPort(c.localPort()), c.remoteAddress().withPort(c.remotePort())));
        return SsFormat.lines(killed, false);
    }

    // ---- relay

    private void refuseWhileStopping() {
        if (stopping) {
            throw new IllegalArgumentException("the daemon is stopping");
        }
    }

    /** True if a relay ran (the connection is done). */
    private boolean connect(ControlConnection c, List<String> words) throws IOException {
        refuseWhileStopping();
        List<String> args = positional(words);
        if (args.size() < 2 || args.size() > 4) {
            throw new IllegalArgumentException("connect takes ADDR PORT [LOCALPORT [TIMEOUT_MS]] [OPTION...]");
        }
        int port = number(args.get(1), "PORT", 1, 65535);
        int localPort = args.size() > 2 ? number(args.get(2), "LOCALPORT", 0, 65535) : 0;
        int timeout = args.size() > 3 ? number(args.get(3), "TIMEOUT_MS", 0, Integer.MAX_VALUE) : 0;
        return relays.connect(c, Relays.address(args.get(0)), port, localPort, timeout, options(words));
    }

    /** The words before the first connection option (a word with '='). */
    private static List<String> positional(List<String> words) {
        return words.stream().takeWhile(w -> !w.contains("=")).toList();
    }

    private static RelayOptions options(List<String> words) {
        return RelayOptions.parse(words.subList(positional(words).size(), words.size()));
    }

    /** True if a relay ran (the connection is done). */
    private boolean listen(ControlConnection c, List<String> words) throws IOException {
        refuseWhileStopping();
        List<String> args = positional(words);
        if (args.isEmpty() || args.size() > 2) {
            throw new IllegalArgumentException("listen takes PORT [TIMEOUT_MS] [OPTION...]");
        }
        int port = number(args.get(0), "PORT", 1, 65535);
        int timeout = args.size() > 1 ? number(args.get(1), "TIMEOUT_MS", 0, Integer.MAX_VALUE) : 0;
        return relays.listen(c, port, timeout, options(words));
    }
}
