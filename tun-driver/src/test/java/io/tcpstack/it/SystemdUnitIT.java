package io.tcpstack.it;

import static io.tcpstack.it.DaemonProcess.await;
import static io.tcpstack.it.DaemonProcess.read;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/tcpstack.service does what systemd would make of it, without systemd: its
 * ExecStartPre lines make the device in a fresh namespace (twice, as a restart would), its
 * ExecStart (with the example config, scripts/tcpstack.conf) tells $NOTIFY_SOCKET READY=1, its
 * ExecReload reloads, its KillSignal stops it cleanly within TimeoutStopSec.
 */
@Tag("netns")
class SystemdUnitIT {
    private static final String INSTALLED_JAR = "/usr/local/lib/tcpstack/tcpstack.jar";
    private static final String INSTALLED_CONFIG = "/etc/tcpstack/tcpstack.conf";

    @TempDir
    Path dir;

    @Test
    void theUnitsCommandsStartNotifyReloadAndStopTheDaemon() throws Exception {
        Path unitFile = Path.of(DaemonProcess.scripts(), "tcpstack.service");
        List<String> unit = Files.readAllLines(unitFile);
        if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
            Netns.Result verify = Netns.run(30, "systemd-analyze", "verify", unitFile.toString()).ok();
            assertThat(verify.err()).as("systemd-analyze verify warnings").isEmpty();
        }
        assertThat(values(unit, "Type")).containsExactly("notify");
        assertThat(values(unit, "KillSignal")).containsExactly("SIGTERM");
        long stopSeconds = Long.parseLong(values(unit, "TimeoutStopSec").get(0));

        try (Netns ns = Netns.createEmpty()) {
            for (int start = 1; start <= 2; start++) {
                for (String pre : values(unit, "ExecStartPre")) {
                    ns.exec(30, words(pre).toArray(String[]::new)).ok();
                }
            }
            assertThat(ns.exec(10, "ip", "-o", "addr", "show", "dev", "tun0").ok().out()).contains("198.18.0.1/24");
            assertThat(ns.exec(10, "ip", "-d", "link", "show", "tun0").ok().out()).contains("multi_queue").contains("UP");

            Path notifySocket = dir.resolve("notify.sock");
            try (UnixDatagramChannel notify = UnixDatagramChannel.open()) {
                notify.bind(new UnixSocketAddress(notifySocket.toFile()));
                notify.setOption(UnixSocketOptions.SO_RCVTIMEO, 30_000);
                List<String> command = new ArrayList<>(List.of("env", "NOTIFY_SOCKET=" + notifySocket));
                for (String word : words(values(unit, "ExecStart").get(0))) {
                    command.add(word.equals(INSTALLED_JAR) ? DaemonProcess.jar()
                            : word.equals(INSTALLED_CONFIG) ? Path.of(DaemonProcess.scripts(), "tcpstack.conf").toString()
                            : word);
                }
                // tests keep their control socket to themselves, and the tcpstack group may not exist here
                command.addAll(List.of("--control", dir.resolve("control.sock").toString(), "--control-group", "-"));
                Process daemon = ns.start(dir.resolve("daemon.out"), dir.resolve("daemon.err"), command.toArray(String[]::new));

                assertThat(receive(notify)).startsWith("READY=1\nSTATUS=tcpstack ready: dev=tun0 addr=198.18.0.2");
                assertThat(ns.exec(20, "ping", "-n", "-c", "3", "-i", "0.1", "-W", "2", "198.18.0.2").ok().out())
                        .contains("3 received");

                String reload = values(unit, "ExecReload").get(0).replace("$MAINPID", Long.toString(daemon.pid()));
                Netns.run(10, words(reload)).ok();
                await(30, "the reload", () -> read(dir.resolve("daemon.err")).contains("reloaded "));

                long t0 = System.nanoTime();
                daemon.destroy(); // SIGTERM, the unit's KillSignal
                assertThat(receive(notify)).isEqualTo("STOPPING=1");
                assertThat(daemon.waitFor(stopSeconds, TimeUnit.SECONDS)).isTrue();
                System.out.printf("unit: READY=1, reload, STOPPING=1 and exit %d in %.0f ms after SIGTERM%n",
                        daemon.exitValue(), (System.nanoTime() - t0) / 1e6);
                assertThat(daemon.exitValue()).isZero();
            }
            assertThat(ns.exec(10, "ip", "link", "show", "tun0").ok().out()).as("the device outlives the daemon")
                    .contains("tun0");
        }
    }

    private static String receive(UnixDatagramChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        channel.receive(buffer);
        buffer.flip();
        return StandardCharsets.UTF_8.decode(buffer).toString();
    }

    /** The values of {@code key=} lines, in order. */
    private static List<String> values(List<String> unit, String key) {
        return unit.stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).toList();
    }

    /** A command line split as systemd splits it: on spaces, '...' and "..." quoting words. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        char quote = 0;
        boolean inWord = false;
        for (char c : line.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == ' ') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
