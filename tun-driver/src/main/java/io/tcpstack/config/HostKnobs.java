package io.tcpstack.config;

import static io.tcpstack.profile.KnobType.Unit.SECONDS;

import io.tcpstack.daemon.services.ServiceSpec;
import io.tcpstack.link.FaultRule;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.profile.KnobType;
import io.tcpstack.wire.IpAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The knobs of the process that hosts a stack: the device, the queues, the pcap file, the
 * control socket, logging and the lifecycle. They take effect at start (a running daemon
 * refuses to {@code set} them); {@link io.tcpstack.profile.KnobRegistry#LIVE} has the stack's
 * own.
 */
public final class HostKnobs {
    /** Replaced by the device name in {@link #CONTROL}. */
    public static final String DEV_PLACEHOLDER = "<dev>";
    /** Linux IFNAMSIZ is 16 with the terminating NUL. */
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Pattern GROUP = Pattern.compile("-|[0-9]{1,10}|[A-Za-z_][A-Za-z0-9_.-]{0,31}");
    private static final String NONE = "none";

    public static final Knob DEV = Knob.host("dev", KnobType.of("NAME",
            "an interface name of 1 to 15 letters, digits, '-', '_' or '.'", HostKnobs::ifname, s -> s), "tun0",
            "TUN device, attached (it may have been made by ip tuntap, multi_queue) or created");
    public static final Knob ADDR = Knob.host("addr", KnobType.of("ADDR[,ADDR]",
            "an IPv4 address, an IPv6 address, or one of each (the flag given twice, or a comma between them)",
            HostKnobs::addresses, s -> s), "198.18.0.2",
            "the stack's addresses: IPv4 A.B.C.D and/or IPv6 (--addr 198.18.0.2 --addr 2001:2::2, a dual-stack host)");
    public static final Knob QUEUES = Knob.host("queues", KnobType.integer(1, 64), "2",
            "TUN queues, one reader thread each");
    public static final Knob OFFLOAD = Knob.host("offload", KnobType.flag(), "0",
            "virtio-net header on the TUN device: checksum offload and TSO both ways (64 KiB segments)");
    public static final Knob BUSY_POLL = Knob.host("busy-poll", KnobType.integer(0, 10_000), "0",
            "microseconds a TUN reader keeps reading after a burst before it sleeps (net.core.busy_poll):"
                    + " lower latency, a core spinning while traffic flows");
    public static final Knob PCAP = Knob.host("pcap", KnobType.of("FILE|none", "a file path or none",
            HostKnobs::fileOrNone, s -> s), NONE, "record every packet, both directions, to this pcap file from the start");
    public static final Knob FAULT = Knob.host("fault", KnobType.of("RULE[;RULE...]|none",
            "fault rules DIRECTION MATCH ACTION [OPTIONS] separated by ';', e.g. 'out :80 data drop once fresh-only',"
                    + " or none", HostKnobs::faultOrNone, s -> s), NONE,
            "fault rules to start with, applied in order (tcpstack ctl fault add|list|clear changes them while the"
                    + " daemon runs): DIRECTION in|out|both, MATCH any|ENDPOINT|syn|fin|rst|ack|data|empty|flags=|seq=,"
                    + " ACTION drop|delay D|duplicate|reorder|corrupt, then every=N|p=P|once|nth=K, fresh-only, seed=N");
    public static final Knob LOG_LEVEL = Knob.host("log-level",
            KnobType.choice(s -> s, List.of("error", "warn", "info", "debug", "trace")), "info",
            "log level; debug logs one line per connection state change");
    public static final Knob SERVICES = Knob.host("services", KnobType.of("NAME:PORT,...|none",
            "NAME:PORT,... of echo, discard, http and chargen, or none", HostKnobs::services, s -> s),
            "echo:7,discard:9,http:80", "services the daemon hosts");
    public static final Knob CONTROL = Knob.host("control", KnobType.of("PATH|none", "an absolute path or none",
            HostKnobs::absoluteOrNone, s -> s), "/run/tcpstack/" + DEV_PLACEHOLDER + ".sock",
            "control socket for tcpstack ctl and tcpstack nc (" + DEV_PLACEHOLDER + " is the device)");
    public static final Knob CONTROL_GROUP = Knob.host("control-group", KnobType.of("GROUP",
            "a group name or number, or - for the daemon's own group", HostKnobs::group, s -> s), "-",
            "group whose members may use the control socket (besides root); looked up at start");
    public static final Knob CONTROL_TIMEOUT = Knob.host("control-timeout", KnobType.duration(SECONDS, 100, 3_600_000),
            "30s", "a control client must send a request, and read a reply, within this time");
    public static final Knob PCAP_DIR = Knob.host("pcap-dir", KnobType.of("DIR", "an absolute path",
            HostKnobs::absolute, s -> s), "/var/tmp/tcpstack",
            "where ctl pcap start writes the files of users other than root");
    public static final Knob DRAIN_TIMEOUT = Knob.host("drain-timeout", KnobType.duration(SECONDS, 0, 600_000), "5s",
            "on SIGTERM, how long open connections get to finish their FIN exchange before they are reset");
    public static final Knob SUMMARY_INTERVAL = Knob.host("summary-interval", KnobType.duration(SECONDS, 0, 86_400_000),
            "300s", "how often an info line sums up connections and counters (0: only at exit)");

    /** Knobs whose flag may be given more than once: the values join, comma-separated. */
    public static final List<Knob> REPEATABLE = List.of(ADDR);

    /** What every command that runs a stack on a TUN device takes. */
    public static final List<Knob> STACK_HOST = List.of(DEV, ADDR, QUEUES, OFFLOAD, BUSY_POLL, PCAP, FAULT, LOG_LEVEL);
    /** What the daemon adds. */
    public static final List<Knob> DAEMON_HOST = List.of(SERVICES, CONTROL, CONTROL_GROUP, CONTROL_TIMEOUT, PCAP_DIR,
            DRAIN_TIMEOUT, SUMMARY_INTERVAL);

    private HostKnobs() {
    }

    /** The knobs of a command that runs a stack: its host knobs, then the live ones. */
    public static List<Knob> forStack() {
        return Stream.concat(STACK_HOST.stream(), KnobRegistry.LIVE.stream()).toList();
    }

    /** Every knob of the daemon. */
    public static List<Knob> forDaemon() {
        List<Knob> all = new ArrayList<>(STACK_HOST);
        all.addAll(DAEMON_HOST);
        all.addAll(KnobRegistry.LIVE);
        return List.copyOf(all);
    }

    /** One or two addresses, at most one of each family, canonically spelt and joined by ','. */
    private static String addresses(String s) {
        List<IpAddress> list = new ArrayList<>();
        for (String word : s.split(",", -1)) {
            String w = word.trim();
            list.add(IpAddress.parse(w.startsWith("[") && w.endsWith("]") ? w.substring(1, w.length() - 1) : w));
        }
        if (list.size() > 2 || (list.size() == 2 && list.get(0).isV4() == list.get(1).isV4())) {
            throw new IllegalArgumentException("must be one IPv4 address, one IPv6 address or one of each, got '" + s + "'");
        }
        return list.stream().map(IpAddress::toString).collect(Collectors.joining(","));
    }

    private static String ifname(String s) {
        if (!IFNAME.matcher(s).matches()) {
            throw new IllegalArgumentException("must be an interface name of 1 to 15 letters, digits, '-', '_' or '.',"
                    + " got '" + s + "'");
        }
        return s;
    }

    private static String fileOrNone(String s) {
        if (path(s) == null) {
            throw new IllegalArgumentException("must be a file path or none, got '" + s + "'");
        }
        return s;
    }

    private static String faultOrNone(String s) {
        if (s.equals(NONE)) {
            return s;
        }
        List<FaultRule> rules = FaultRule.parseList(s);
        return rules.isEmpty() ? NONE : String.join("; ", rules.stream().map(FaultRule::toString).toList());
    }

    private static String services(String s) {
        Map<String, Integer> spec = ServiceSpec.parse(s.equals(NONE) ? "" : s);
        return spec.isEmpty() ? NONE : ServiceSpec.format(spec);
    }

    private static String absoluteOrNone(String s) {
        return s.equals(NONE) ? s : absolute(s);
    }

    private static String absolute(String s) {
        Path p = path(s);
        if (p == null || !p.isAbsolute()) {
            throw new IllegalArgumentException("must be an absolute path, got '" + s + "'");
        }
        return s;
    }

    /** {@code s} as a path, or null when it is empty or no path (a NUL, say: found by ConfigFileFuzzTest). */
    private static Path path(String s) {
        try {
            return s.isEmpty() ? null : Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** A group's spelling (useradd's rules, or a number); whether it exists is checked at start. */
    private static String group(String s) {
        if (!GROUP.matcher(s).matches()) {
            throw new IllegalArgumentException("must be a group name or number, or - for the daemon's own group, got '"
                    + s + "'");
        }
        return s;
    }

    /** Null for none. */
    static String orNull(String value) {
        return NONE.equals(value) ? null : value;
    }
}
