package io.tcpstack.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.profile.Knob;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The host knobs: each one's validation and default. */
public class HostKnobsTest {

    /** For every host knob, a value it must refuse and words its refusal must contain. */
    public static final Map<String, String[]> REFUSED = Map.ofEntries(
            Map.entry("dev", new String[] {"a-name-of-16-chr", "an interface name of 1 to 15 letters"}),
            Map.entry("addr", new String[] {"198.18.0.256", "not an IPv4 address: '198.18.0.256'"}),
            Map.entry("queues", new String[] {"65", "must be 1..64, got '65'"}),
            Map.entry("offload", new String[] {"yes", "must be 0 or 1, got 'yes'"}),
            Map.entry("busy-poll", new String[] {"10001", "must be 0..10000, got '10001'"}),
            Map.entry("pcap", new String[] {"", "must be a file path or none, got ''"}),
            Map.entry("fault", new String[] {"sideways :80 drop", "fault rule 'sideways :80 drop': DIRECTION must be in,"
                    + " out or both"}),
            Map.entry("log-level", new String[] {"verbose", "must be one of error, warn, info, debug, trace, got 'verbose'"}),
            Map.entry("services", new String[] {"ftp:21", "unknown service 'ftp' (echo, discard, http, chargen)"}),
            Map.entry("control", new String[] {"ctl.sock", "must be an absolute path, got 'ctl.sock'"}),
            Map.entry("control-group", new String[] {"staff!", "must be a group name or number, or - for the daemon's own"
                    + " group, got 'staff!'"}),
            Map.entry("control-timeout", new String[] {"10ms", "must be a duration 100ms..3600s"}),
            Map.entry("pcap-dir", new String[] {"pcaps", "must be an absolute path, got 'pcaps'"}),
            Map.entry("drain-timeout", new String[] {"11m", "must be a duration 0s..600s"}),
            Map.entry("summary-interval", new String[] {"2d", "must be a duration 0s..86400s"}));

    static Stream<Knob> host() {
        return HostKnobs.forDaemon().stream().filter(k -> !k.isLive());
    }

    @Test
    void everyHostKnobHasARefusalCase() {
        assertThat(REFUSED.keySet()).containsExactlyInAnyOrderElementsOf(host().map(Knob::name).toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("host")
    void refusesABadValueSayingWhy(Knob knob) {
        String[] refused = REFUSED.get(knob.name());
        assertThatThrownBy(() -> knob.parse(refused[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(refused[1]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("host")
    void defaultIsValidAndCanonical(Knob knob) {
        assertThat(knob.canonical(knob.defaultValue())).isEqualTo(knob.defaultValue());
        assertThat(knob.appliesTo()).isEqualTo("restart");
    }

    @Test
    void valuesAreSpelledCanonically() {
        assertThat(HostKnobs.SERVICES.canonical(" http:8080 , echo:7 ")).isEqualTo("http:8080,echo:7");
        assertThat(HostKnobs.SERVICES.canonical("")).isEqualTo("none");
        assertThat(HostKnobs.CONTROL_GROUP.canonical("0")).isEqualTo("0");
        assertThat(HostKnobs.CONTROL_GROUP.canonical("root")).isEqualTo("root");
        assertThat(HostKnobs.FAULT.canonical("out  flags=R. drop every=10 ;in :9 ack drop once;"))
                .isEqualTo("out flags=R. drop every=10; in :9 ack drop once");
        assertThat(HostKnobs.FAULT.canonical("both drop p=0.05")).as("a seed is chosen once, then kept")
                .matches("both any drop p=0.05 seed=\\d+");
    }

    @Test
    void theDaemonHasEveryKnobOnceAndTheControlPathFollowsTheDevice() {
        assertThat(HostKnobs.forDaemon().stream().map(Knob::name).distinct().count())
                .isEqualTo(HostKnobs.forDaemon().size());
        KnobValues flags = new KnobValues();
        flags.put(HostKnobs.DEV, "tun7", "--dev");
        Config config = new Config(HostKnobs.forDaemon(), null, flags, flags);
        assertThat(config.controlPath()).hasToString("/run/tcpstack/tun7.sock");
        assertThat(config.controlGid()).isEqualTo(Groups.ownGid());
    }

    @Test
    void aControlGroupThatDoesNotExistIsReportedWhenItIsLookedUp() {
        KnobValues flags = new KnobValues();
        flags.put(HostKnobs.CONTROL_GROUP, "no-such-group-here", "--control-group");
        Config config = new Config(HostKnobs.forDaemon(), null, flags, flags);
        org.assertj.core.api.Assertions.assertThatThrownBy(config::controlGid).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("control-group: no group named 'no-such-group-here' on this system");
        flags.put(HostKnobs.CONTROL_GROUP, "4242", "--control-group");
        assertThat(new Config(HostKnobs.forDaemon(), null, flags, flags).controlGid()).isEqualTo(4242);
    }
}
