package io.tcpstack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.config.HostKnobs;
import io.tcpstack.config.HostKnobsTest;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistryTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad command lines and config files get one clear line and status 2, never a stack trace; help lists every knob. */
class MainTest {

    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
        /** The error output is exactly one line. */
        String oneLine() {
            assertThat(err.lines().toList()).as("stderr: %s", err).hasSize(1);
            assertThat(err).doesNotContain("\tat ").doesNotContain("Exception");
            return err.strip();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static Stream<Knob> daemonKnobs() {
        return HostKnobs.forDaemon().stream();
    }

    private static String[] refused(Knob knob) {
        String[] r = knob.isLive() ? KnobRegistryTest.REFUSED.get(knob.name()) : HostKnobsTest.REFUSED.get(knob.name());
        assertThat(r).as("a refusal case for " + knob.name()).isNotNull();
        return r;
    }

    @Test
    void helpListsTheSubcommands() {
        Run r = run("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("daemon").contains("ctl").contains("nc").contains("finack");
    }

    @Test
    void daemonHelpListsEveryKnobWithWhatItTakesAndItsDefault() {
        Run r = run("daemon", "--help");
        assertThat(r.status()).isZero();
        // picocli wraps lines anywhere, so compare without whitespace
        String help = r.out().replaceAll("\\s+", "");
        for (Knob k : HostKnobs.forDaemon()) {
            assertThat(help).contains(("--" + k.name() + "=" + k.type().label()).replaceAll("\\s+", ""))
                    .contains((k.type().allowed() + ". Default " + k.defaultValue() + ";").replaceAll("\\s+", ""));
        }
        assertThat(help).contains("--config=FILE").contains("[tcp_fin_timeout]");
    }

    @ParameterizedTest(name = "--{0}")
    @MethodSource("daemonKnobs")
    void aBadFlagValueIsOneLineNamingTheFlagAndStatusTwo(Knob knob) {
        String[] refused = refused(knob);
        Run r = run("daemon", "--" + knob.name(), refused[0]);
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.oneLine()).startsWith("tcpstack daemon: --" + knob.name() + ": ").contains(refused[1]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("daemonKnobs")
    void aBadConfigFileValueIsOneLineNamingFileLineAndKnob(Knob knob) throws Exception {
        String[] refused = refused(knob);
        Path file = dir.resolve("bad.conf");
        Files.write(file, List.of("# operator's config", knob.name() + " = " + refused[0]));
        Run r = run("daemon", "--config", file.toString());
        assertThat(r.status()).isEqualTo(2);
        if (refused[0].isEmpty()) {
            assertThat(r.oneLine()).isEqualTo("tcpstack daemon: " + file + ":2: " + knob.name() + " needs a value: "
                    + knob.type().allowed());
        } else {
            assertThat(r.oneLine()).startsWith("tcpstack daemon: " + file + ":2: " + knob.name() + ": ").contains(refused[1]);
        }
    }

    @Test
    void unknownFlagsMissingValuesAndUnknownKnobsAreOneLine() throws Exception {
        Run unknown = run("daemon", "--fin-timout=5");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.oneLine()).startsWith("tcpstack daemon: Unknown option: '--fin-timout=5'; did you mean")
                .contains("--fin-timeout").endsWith("(see tcpstack daemon --help)");
        Run missing = run("daemon", "--queues");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.oneLine()).contains("Missing required parameter for option '--queues'");
        Path file = dir.resolve("unknown.conf");
        Files.write(file, List.of("fin_timout = 30"));
        Run badFile = run("daemon", "--config", file.toString());
        assertThat(badFile.status()).isEqualTo(2);
        assertThat(badFile.oneLine()).isEqualTo("tcpstack daemon: " + file
                + ":1: unknown knob 'fin_timout' (tcpstack daemon --help lists them)");
        Run noFile = run("daemon", "--config", dir.resolve("absent.conf").toString());
        assertThat(noFile.oneLine()).endsWith("absent.conf: no such file");
    }

    @Test
    void finackCommandsTakeTheStackKnobsToo() {
        Run range = run("finack", "client", "--port-range", "5000-4000");
        assertThat(range.status()).isEqualTo(2);
        assertThat(range.oneLine()).isEqualTo("tcpstack finack client: --port-range: must be LOW-HIGH within 1..65535"
                + " with LOW <= HIGH, got '5000-4000'");
        Run help = run("finack", "server", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).as("a finack server can be watched with ctl trace").contains("--control=PATH")
                .contains("--ladder");
        Run client = run("finack", "client", "--control", "/tmp/x.sock");
        assertThat(client.status()).as("only the server has a control socket").isEqualTo(2);
    }

    @Test
    void ctlWithoutADaemonSaysWhereItLookedAndFails() {
        Run r = run("ctl", "conns", "--control", dir.resolve("absent.sock").toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.oneLine()).isEqualTo("tcpstack ctl conns: no control socket at " + dir.resolve("absent.sock")
                + " (is the daemon running? --dev or --control picks another)");
        Run nc = run("nc", "-l", "8080", "--dev", "tun-absent");
        assertThat(nc.oneLine()).contains("no control socket at /run/tcpstack/tun-absent.sock");
    }
}
