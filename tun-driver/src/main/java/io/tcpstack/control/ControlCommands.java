package io.tcpstack.control;

import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.config.Config;
import io.tcpstack.config.HostKnobs;
import io.tcpstack.daemon.TraceHub;
import io.tcpstack.daemon.TunHost;
import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.link.PcapLink;
import io.tcpstack.link.PcapWriter;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.wire.EndpointFilter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
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
    /** How often a trace stream checks whether it was ended while no event came. */
    private static final long TRACE_POLL_MS = 200;

    private final TcpStack stack;
    private final PcapLink recorder;
    private final Supplier<String> describe;
    private final Config config;
    private final TraceHub traces;
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
        this.config = config;
        this.traces = traces;
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
        endTraces(reason);
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
                case "get" -> c.ok(get(args));
                case "set" -> c.ok(set(c.peer(), args));
                case "profile" -> c.ok(args.isEmpty() ? List.of("profile = " + KnobRegistry.describeProfile(stack.settings()))
                        : set(c.peer(), List.of("profile", only(args, "NAME"))));
                case "fault" -> c.ok(faults.handle(c.peer(), args));
                case "trace" -> {
                    return trace(c, args);
                }
                case "pcap" -> c.ok(pcap(c.peer(), args));
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

    private static String only(List<String> args, String what) {
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

    private static void rejectOptions(List<String> words, String allowed) {
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

    // ---- knobs

    private static Knob knob(String name) {
        return KnobRegistry.find(HostKnobs.forDaemon(), name).orElseThrow(() -> new IllegalArgumentException(
                "unknown knob '" + name + "' (get lists them)"));
    }

    private List<String> get(List<String> args) {
        if (args.size() > 1) {
            throw new IllegalArgumentException("get takes at most one KNOB");
        }
        List<Knob> knobs = args.isEmpty() ? HostKnobs.forDaemon() : List.of(knob(args.get(0)));
        List<String> lines = new ArrayList<>();
        for (Knob k : knobs) {
            lines.add(k.isLive() ? k.name() + " = " + k.get(stack.settings())
                    : k.name() + " = " + config.value(k) + " (at start)");
        }
        return lines;
    }

    /** Sets a live knob and reports every knob that changed (a profile changes several). */
    private List<String> set(Peer peer, List<String> args) {
        if (args.size() < 2) {
            throw new IllegalArgumentException("set takes KNOB VALUE");
        }
        Knob knob = knob(args.get(0));
        if (knob == HostKnobs.FAULT) {
            throw new IllegalArgumentException("fault rules change with fault add|list|clear while the daemon runs");
        }
        if (!knob.isLive()) {
            throw new IllegalArgumentException(knob.name() + " takes effect at start: set it in the config file or as --"
                    + knob.name() + " and restart");
        }
        TcpSettings settings = stack.settings();
        Map<Knob, String> before = liveValues(settings);
        Affinity affinity = settings.affinity;
        String value = String.join(" ", args.subList(1, args.size()));
        try {
            knob.set(settings, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(knob.name() + ": " + e.getMessage(), e);
        }
        List<String> lines = new ArrayList<>();
        liveValues(settings).forEach((k, now) -> {
            String was = before.get(k);
            if (!now.equals(was) || k == knob) {
                String line = k.name() + " = " + now + " (was " + was + "; applies to " + k.appliesTo() + ")";
                lines.add(line);
                log.info("control: {} set {}", peer, line);
            }
        });
        if (settings.affinity != affinity) {
            lines.add("inbound steering: " + stack.steer());
        }
        return lines;
    }

    private static Map<Knob, String> liveValues(TcpSettings settings) {
        Map<Knob, String> values = new LinkedHashMap<>();
        KnobRegistry.LIVE.forEach(k -> values.put(k, k.get(settings)));
        return values;
    }

    // ---- trace

    private boolean trace(ControlConnection c, List<String> args) throws IOException {
        String what = args.isEmpty() ? "" : args.get(0);
        switch (what) {
            case "start" -> {
                List<String> rest = args.subList(1, args.size());
                boolean verbose = !rest.isEmpty() && rest.get(0).equals("-v");
                List<String> endpoints = verbose ? rest.subList(1, rest.size()) : rest;
                rejectOptions(endpoints, "trace start takes -v");
                streamTrace(c, new TraceStream(EndpointFilter.parse(endpoints), verbose));
                return false;
            }
            case "stop" -> {
                if (args.size() > 1) {
                    throw new IllegalArgumentException("trace stop takes no arguments");
                }
                int n = endTraces("stopped by trace stop (" + c.peer() + ")");
                c.ok(List.of("stopped " + n + " trace stream(s)"));
                return true;
            }
            default -> throw new IllegalArgumentException("trace takes start [-v] [ENDPOINT [ENDPOINT]] or stop");
        }
    }

    private int endTraces(String reason) {
        int n = 0;
        for (Consumer<TraceEvent> l : traces.listeners()) {
            if (l instanceof TraceStream s) {
                s.end(reason);
                n++;
            }
        }
        return n;
    }

    private void streamTrace(ControlConnection c, TraceStream stream) throws IOException {
        traces.add(stream);
        log.info("control: {} started a trace of {}", c.peer(), stream.filter());
        try {
            c.line("stream " + stream.filter());
            while (stream.endReason() == null) {
                TraceEvent e = stream.poll(TRACE_POLL_MS);
                long dropped = stream.takeDropped();
                if (dropped > 0) {
                    c.line("# " + dropped + " events dropped: the client reads too slowly");
                }
                if (e != null) {
                    c.line(stream.line(e));
                } else if (c.clientGone()) {
                    return; // the client left while nothing happened: stop tracing for it
                }
            }
            c.line("end " + stream.endReason());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            traces.remove(stream);
        }
    }

    // ---- pcap

    private List<String> pcap(Peer peer, List<String> args) {
        String what = args.isEmpty() ? "" : args.get(0);
        try {
            switch (what) {
                case "" -> {
                    List<String> lines = new ArrayList<>();
                    recorder.recordings().forEach((file, packets) -> lines.add(file + " " + packets + " packets"));
                    return lines;
                }
                case "start" -> {
                    Path file = Path.of(only(args.subList(1, args.size()), "FILE"));
                    String name = file.normalize().toString();
                    if (recorder.recordings().containsKey(name)) {
                        throw new IllegalArgumentException(name + " is being recorded already");
                    }
                    PcapWriter writer = openPcap(peer, file);
                    try {
                        recorder.start(name, writer);
                    } catch (IllegalStateException e) {
                        writer.close(); // started by another client in the meantime
                        throw e;
                    }
                    log.info("control: {} started recording packets to {}", peer, name);
                    return List.of("recording to " + name);
                }
                case "stop" -> {
                    List<String> files = args.size() > 1 ? List.of(only(args.subList(1, args.size()), "FILE"))
                            : List.copyOf(recorder.recordings().keySet());
                    List<String> lines = new ArrayList<>();
                    for (String file : files) {
                        long packets = recorder.stop(Path.of(file).toAbsolutePath().normalize().toString());
                        if (packets < 0) {
                            throw new IllegalArgumentException(file + " is not being recorded");
                        }
                        log.info("control: {} stopped recording {} ({} packets)", peer, file, packets);
                        lines.add("stopped " + file + " after " + packets + " packets");
                    }
                    return lines;
                }
                default -> throw new IllegalArgumentException("pcap takes start FILE, stop [FILE], or nothing to list");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * The pcap file a peer asked for. Root may name any absolute path. The daemon writes as root,
     * so for anyone else it only creates a new file (never following a link) in the pcap
     * directory, and gives it to the asker.
     */
    private PcapWriter openPcap(Peer peer, Path requested) throws IOException {
        if (!requested.isAbsolute()) {
            throw new IllegalArgumentException("pcap FILE must be an absolute path, got '" + requested + "'");
        }
        Path file = requested.normalize();
        if (peer.isRoot()) {
            return TunHost.createPcap(file);
        }
        Path dir = config.pcapDir();
        if (!dir.equals(file.getParent())) {
            throw new IllegalArgumentException("users other than root may record only to files in " + dir
                    + " (the pcap-dir knob)");
        }
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        PcapWriter writer = TunHost.createPcap(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        Files.setAttribute(file, "unix:uid", peer.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(file, "unix:gid", peer.gid(), LinkOption.NOFOLLOW_LINKS);
        return writer;
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
