package io.tcpstack.config;

import io.tcpstack.daemon.StackOptions;
import io.tcpstack.daemon.services.ServiceSpec;
import io.tcpstack.link.FaultRule;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobType;
import io.tcpstack.profile.TcpSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The configuration a command runs with: knob defaults, under the config file's values (if
 * any), under the flags. {@link #reload()} reads the file again, for SIGHUP.
 *
 * @param knobs the knobs this command takes
 * @param file the config file, or null
 * @param flags the values given as flags
 * @param values the merged values
 */
public record Config(List<Knob> knobs, Path file, KnobValues flags, KnobValues values) {

    /** Validates {@code flags} (raw, as typed) and merges them over {@code file}'s values. */
    public static Config resolve(List<Knob> knobs, Path file, Map<Knob, String> rawFlags) {
        KnobValues flags = new KnobValues();
        rawFlags.forEach((knob, raw) -> flags.put(knob, raw, "--" + knob.name()));
        return merge(knobs, file, flags);
    }

    private static Config merge(List<Knob> knobs, Path file, KnobValues flags) {
        KnobValues fromFile = file == null ? new KnobValues() : ConfigFile.read(file, knobs);
        return new Config(knobs, file, flags, fromFile.overriddenBy(flags));
    }

    /** The file read again, the same flags over it; IllegalArgumentException as at start. */
    public Config reload() {
        return merge(knobs, file, flags);
    }

    public String value(Knob knob) {
        return values.value(knob);
    }

    public String device() {
        return value(HostKnobs.DEV);
    }

    public String address() {
        return value(HostKnobs.ADDR);
    }

    public int queues() {
        return Integer.parseInt(value(HostKnobs.QUEUES));
    }

    /** Microseconds a TUN reader busy-polls after a burst. */
    public int busyPollMicros() {
        return Integer.parseInt(value(HostKnobs.BUSY_POLL));
    }

    /** TUN offloads (virtio-net header, checksum offload, TSO). */
    public boolean offload() {
        return KnobType.flag().parse(value(HostKnobs.OFFLOAD));
    }

    /** The pcap file to record from the start, or null. */
    public Path pcap() {
        String p = HostKnobs.orNull(value(HostKnobs.PCAP));
        return p == null ? null : Path.of(p);
    }

    /** The fault rules to start with (ctl fault changes them at run time). */
    public List<FaultRule> faults() {
        String f = HostKnobs.orNull(value(HostKnobs.FAULT));
        return f == null ? List.of() : FaultRule.parseList(f);
    }

    public String logLevel() {
        return value(HostKnobs.LOG_LEVEL);
    }

    public Map<String, Integer> services() {
        String s = HostKnobs.orNull(value(HostKnobs.SERVICES));
        return ServiceSpec.parse(s == null ? "" : s);
    }

    /** The control socket's path, or null for none. */
    public Path controlPath() {
        String c = HostKnobs.orNull(value(HostKnobs.CONTROL));
        return c == null ? null : Path.of(c.replace(HostKnobs.DEV_PLACEHOLDER, device()));
    }

    /** The control socket's group id; IllegalArgumentException naming the knob if the group does not exist. */
    public int controlGid() {
        String g = value(HostKnobs.CONTROL_GROUP);
        try {
            return g.equals("-") ? Groups.ownGid() : Groups.gid(g);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(HostKnobs.CONTROL_GROUP.name() + ": " + e.getMessage(), e);
        }
    }

    public long controlTimeoutMs() {
        return millis(HostKnobs.CONTROL_TIMEOUT);
    }

    public Path pcapDir() {
        return Path.of(value(HostKnobs.PCAP_DIR));
    }

    public long drainTimeoutMs() {
        return millis(HostKnobs.DRAIN_TIMEOUT);
    }

    public long summaryIntervalMs() {
        return millis(HostKnobs.SUMMARY_INTERVAL);
    }

    private long millis(Knob knob) {
        return (Long) knob.parse(value(knob));
    }

    /** Fresh stack settings from these values. */
    public TcpSettings settings() {
        return values.settings();
    }

    public StackOptions stackOptions() {
        return new StackOptions(device(), address(), queues(), offload(), busyPollMicros(), pcap(), settings(), faults());
    }
}
