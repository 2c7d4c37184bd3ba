package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon watched live: {@code ctl trace --ladder} draws a curl download with the stack's drop
 * reasons and the rule behind every row; and {@code ctl conns -i state ...} shows the TIME-WAIT
 * and FIN-WAIT-2 records with the time they have left, as ss -o does.
 */
@Tag("netns")
class LiveLadderIT {
    @TempDir
    Path dir;

    @Test
    void ctlTraceLadderDrawsACurlDownloadWithDropReasonsAndRules() throws Exception {
        try (Netns ns = Netns.create()) {
            // lookup-delay widens the lookup-to-lock window: with affinity none (the default), more
            // of the download's segments race and are dropped (stale lookups, PAWS, old data)
            DaemonProcess d = DaemonProcess.start(ns, dir, "--lookup-delay-us", "100");
            Path saved = dir.resolve("trace.txt");
            Path html = dir.resolve("live.html");
            Path out = dir.resolve("ladder.out");
            Process trace = new ProcessBuilder("java", "-jar", DaemonProcess.jar(), "ctl", "trace", "--ladder",
                    Netns.KERNEL_ADDR, "--rules", "--save", saved.toString(), "--html", html.toString(), "--svg",
                    dir.resolve("live.svg").toString(), "--control", d.control.toString())
                    .redirectOutput(out.toFile()).redirectError(dir.resolve("ladder.err").toFile()).start();
            try {
                DaemonProcess.await(60, "the trace to start", () -> DaemonProcess.read(d.stderr).contains("started a trace"));
                Netns.Result curl = ns.exec(60, "curl", "-sS", "-o", "/dev/null", "-w", "%{size_download}",
                        "http://" + Netns.STACK_ADDR + "/bytes/500000").ok();
                assertThat(curl.out()).isEqualTo("500000");
                // a connect to a closed port: the stack drops the SYN (no socket) and answers RST
                assertThat(ns.exec(30, "curl", "-sS", "http://" + Netns.STACK_ADDR + ":81/").exit()).isNotZero();
                Thread.sleep(300);
            } finally {
                trace.destroy(); // SIGTERM: the trace ends and the ladder is drawn
                assertThat(trace.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
            String ladder = Files.readString(out);
            System.out.println(ladder);
            assertThat(trace.exitValue()).as(DaemonProcess.read(dir.resolve("ladder.err"))).isZero();
            assertThat(ladder).contains("tcpstack 198.18.0.2").contains("peer 198.18.0.1")
                    .contains("S seq=0 ").contains("why: PASSIVE_OPEN (RFC 9293 3.10.7.2")
                    .contains("why: DATA (RFC 9293 3.10.2").contains("x dropped by 198.18.0.2: TCP_NO_SOCKET").contains("why: TCP_NO_SOCKET (RFC 9293 3.10.7.1")
                    .contains("why: RST_NO_SOCKET");
            assertThat(ladder.lines().filter(l -> l.contains("|"))).allMatch(l -> l.length() <= 100);
            List<String> lines = Files.readAllLines(saved);
            long downloadDrops = lines.stream().filter(l -> l.contains(" DROP ") && l.contains(":80 ")).count();
            System.out.println("drops in the download: " + downloadDrops + " of " + lines.size() + " events");
            assertThat(lines).anyMatch(l -> l.contains("\trule=PASSIVE_OPEN\tstate=SYN-RECV"));
            String page = Files.readString(html);
            assertThat(page).contains("TCP_NO_SOCKET").contains("RFC 9293 3.10.7.1").contains("snd.una");
            // the saved trace draws the same ladder later
            Netns.Result again = Netns.run(60, "java", "-jar", DaemonProcess.jar(), "ladder", saved.toString(), "--rules")
                    .ok();
            assertThat(again.out()).isEqualTo(ladder.substring(ladder.indexOf("       ms  "), ladder.indexOf("wrote "))
                    .replace("saved " + lines.size() + " trace lines to " + saved + "\n", ""));
        }
    }

    @Test
    void connsShowsTheRecordsTimersAndFiltersByStateLikeSs() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess d = DaemonProcess.start(ns, dir);
            // HTTP/1.0: the stack's service closes first and keeps TIME-WAIT
            ns.exec(30, "curl", "-sS", "-o", "/dev/null", "--http1.0", "http://" + Netns.STACK_ADDR + "/").ok();
            // a client that keeps its end open: the service's FIN is acknowledged, no FIN comes back,
            // and the orphaned connection becomes a FIN-WAIT-2 record
            Process holder = ns.start(dir.resolve("nc.out"), dir.resolve("nc.err"), "bash", "-c",
                    "(printf 'GET / HTTP/1.0\\r\\n\\r\\n'; sleep 90) | nc " + Netns.STACK_ADDR + " 80");
            try {
                DaemonProcess.await(30, "a FIN-WAIT-2 record", () -> {
                    try {
                        return d.ctl("conns", "state", "fin-wait-2").out().contains("FIN-WAIT-2");
                    } catch (Exception e) {
                        return false;
                    }
                });
                Netns.Result tw = d.ctl("conns", "-i", "state", "time-wait").ok();
                System.out.println(tw.out());
                List<String> lines = tw.out().lines().toList();
                assertThat(lines.get(0)).startsWith("State");
                assertThat(lines.get(1)).startsWith("TIME-WAIT").contains("198.18.0.2:80");
                // ss's format; how much of the 60 s is left depends on how loaded the machine is
                assertThat(lines.get(2)).matches("\\ttimer:\\(timewait,([1-5]?\\dsec|60sec|\\d+\\.\\d{3}ms|\\d+ms),0\\)");
                assertThat(lines).noneMatch(l -> l.startsWith("LISTEN") || l.startsWith("FIN-WAIT-2"));

                Netns.Result fw2 = d.ctl("conns", "-i", "state", "fin-wait-2", ":80").ok();
                System.out.println(fw2.out());
                assertThat(fw2.out()).containsPattern("FIN-WAIT-2 .*198\\.18\\.0\\.2:80")
                        .containsPattern("\\ttimer:\\(timewait,[^,]+,0\\)");

                assertThat(d.ctl("conns", "state", "listening").ok().out().lines().skip(1))
                        .isNotEmpty().allMatch(l -> l.startsWith("LISTEN"));
                Netns.Result bad = d.ctl("conns", "state", "timewait");
                assertThat(bad.exit()).isEqualTo(1);
                assertThat(bad.err()).contains("unknown state 'timewait'");
            } finally {
                holder.destroy();
            }
        }
    }
}
