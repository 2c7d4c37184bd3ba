package io.tcpstack.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.SynResend;
import io.tcpstack.profile.TcpSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config file: its syntax, its errors (file, line, knob), and flags over it. */
class ConfigFileTest {
    private static final List<Knob> KNOBS = HostKnobs.forDaemon();

    @TempDir
    Path dir;

    private Path write(String... lines) throws Exception {
        Path file = dir.resolve("tcpstack.conf");
        Files.write(file, List.of(lines));
        return file;
    }

    @Test
    void readsNameEqualsValueAndNameSpaceValueWithCommentsAndSysctlNames() throws Exception {
        Path file = write("# tcpstack", "", "profile = linux-5.5   # the old SYN resend", "tcp_fin_timeout 30",
                "net.ipv4.ip_local_port_range = 40000 40100", "affinity=flow", "queues 4");
        Config config = Config.resolve(KNOBS, file, Map.of());
        TcpSettings s = config.settings();
        assertThat(s.synResend).isEqualTo(SynResend.RTO_INIT);
        assertThat(s.finTimeoutMs).isEqualTo(30_000);
        assertThat(s.portRangeLow).isEqualTo(40000);
        assertThat(s.portRangeHigh).isEqualTo(40100);
        assertThat(s.affinity).as("set after the profile, whatever the order").isEqualTo(Affinity.FLOW);
        assertThat(config.queues()).isEqualTo(4);
        assertThat(config.device()).as("default").isEqualTo("tun0");
    }

    @Test
    void aKnobSetAfterItsProfileInTheFileStillWinsOverTheProfile() throws Exception {
        Path file = write("syn-resend = timeout-min", "profile = linux-5.5");
        assertThat(Config.resolve(KNOBS, file, Map.of()).settings().synResend).isEqualTo(SynResend.TIMEOUT_MIN);
    }

    @Test
    void flagsOverrideTheFile() throws Exception {
        Path file = write("fin-timeout = 30s", "queues = 4");
        Config config = Config.resolve(KNOBS, file, Map.of(HostKnobs.QUEUES, "1"));
        assertThat(config.queues()).isEqualTo(1);
        assertThat(config.settings().finTimeoutMs).isEqualTo(30_000);
    }

    @Test
    void errorsNameTheFileTheLineAndTheKnob() throws Exception {
        assertThatThrownBy(() -> Config.resolve(KNOBS, write("queues = 2", "fin-timeout = soon"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(dir.resolve("tcpstack.conf") + ":2: fin-timeout: must be a duration 1ms..3600s")
                .hasMessageEndingWith("got 'soon'");
        assertThatThrownBy(() -> Config.resolve(KNOBS, write("fin_timout = 30"), Map.of()))
                .hasMessageEndingWith(":1: unknown knob 'fin_timout' (tcpstack daemon --help lists them)");
        assertThatThrownBy(() -> Config.resolve(KNOBS, write("queues = 2", "", "queues 3"), Map.of()))
                .hasMessageEndingWith(":3: queues is already set on line 1");
        assertThatThrownBy(() -> Config.resolve(KNOBS, write("tw-reuse ="), Map.of()))
                .hasMessageEndingWith(":1: tw-reuse needs a value: 0..2");
        assertThatThrownBy(() -> Config.resolve(KNOBS, dir.resolve("missing.conf"), Map.of()))
                .hasMessage("cannot read config file " + dir.resolve("missing.conf") + ": no such file");
    }

    @Test
    void aBadFlagIsNamedWithItsDashes() {
        assertThatThrownBy(() -> Config.resolve(KNOBS, null, Map.of(HostKnobs.QUEUES, "0")))
                .hasMessage("--queues: must be 1..64, got '0'");
    }

    @Test
    void binaryOrHugeFilesAreRefused() throws Exception {
        Path binary = dir.resolve("binary.conf");
        Files.write(binary, new byte[] {'q', (byte) 0xff, (byte) 0xfe, '\n'});
        assertThatThrownBy(() -> Config.resolve(KNOBS, binary, Map.of())).hasMessage(binary + ": not UTF-8 text");
        Path huge = dir.resolve("huge.conf");
        Files.write(huge, new byte[(int) ConfigFile.MAX_BYTES + 1]);
        assertThatThrownBy(() -> Config.resolve(KNOBS, huge, Map.of())).hasMessageContaining("not a config file");
    }

    @Test
    void reloadReadsTheFileAgainUnderTheSameFlags() throws Exception {
        Path file = write("fin-timeout = 30s", "tw-reuse = 0");
        Config config = Config.resolve(KNOBS, file, Map.of(knob("tw-reuse"), "1"));
        Files.write(file, List.of("fin-timeout = 10s", "tw-reuse = 0"));
        Config again = config.reload();
        assertThat(again.settings().finTimeoutMs).isEqualTo(10_000);
        assertThat(again.settings().twReuse).as("the flag still wins").isEqualTo(1);
    }

    private static Knob knob(String name) {
        return KNOBS.stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow();
    }
}
