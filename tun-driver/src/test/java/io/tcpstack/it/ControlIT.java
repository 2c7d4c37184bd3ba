package io.tcpstack.it;

import static io.tcpstack.it.DaemonProcess.await;
import static io.tcpstack.it.DaemonProcess.read;
import static io.tcpstack.it.DaemonProcess.scripts;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's operator features against kernel peers in a fresh namespace: tcpstack ctl (conns,
 * stats, set, kill, trace, pcap), tcpstack nc both ways, SIGHUP and SIGTERM.
 */
@Tag("netns")
class ControlIT {
    private static final Pattern CONNECTED = Pattern.compile("connected in ([0-9.]+) ms");

    @TempDir
    Path dir;

    @RegisterExtension
    final Clients clients = new Clients();

    private Process startClient(ProcessBuilder pb, String name) throws IOException {
        return clients.start(pb, dir, name);
    }

    @Test
    void ctlShowsCountsAndKillsAKernelClientsConnection() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir);
            Path client = dir.resolve("client.out");
            ns.start(client, dir.resolve("client.err"), "python3", scripts() + "/interop/hold_client.py", "--connect",
                    Netns.STACK_ADDR, "--port", "7", "--local-port", "45000", "--timeout", "30");
            await(30, "the kernel client's echo", () -> read(client).contains("echoed"));

            String conns = daemon.ctl("conns").ok().out();
            System.out.println("$ tcpstack ctl conns\n" + conns);
            assertThat(conns.lines()).first().asString().startsWith("State       Recv-Q Send-Q Local Address:Port");
            assertThat(conns.lines()).anyMatch(l -> l.matches("LISTEN +0 +128 +198\\.18\\.0\\.2:7 +0\\.0\\.0\\.0:\\*"))
                    .anyMatch(l -> l.matches("ESTAB +0 +0 +198\\.18\\.0\\.2:7 +198\\.18\\.0\\.1:45000"));
            String details = daemon.ctl("conns", "-i", "198.18.0.1:45000").ok().out();
            System.out.println("$ tcpstack ctl conns -i 198.18.0.1:45000\n" + details);
            assertThat(details).containsPattern("\n\tts sack cubic ca_state:open wscale:\\d+,\\d+ rto:[0-9.]+ rtt:[0-9.]+/[0-9.]+"
                    + " ato:[0-9.]+ mss:\\d+ rcvmss:\\d+ advmss:\\d+ cwnd:\\d+ bytes_sent:5 bytes_acked:5 bytes_received:5 .*"
                    + " reordering:3 rcv_ssthresh:\\d+ minrtt:[0-9.]+ snd_wnd:\\d+ rcv_wnd:\\d+").doesNotContain("retrans:");

            String stats = daemon.ctl("stats").ok().out();
            System.out.println("$ tcpstack ctl stats\n" + stats);
            assertThat(stats.lines()).first().isEqualTo("#tcpstack");
            assertThat(stats.lines()).anyMatch(l -> l.matches("TcpPassiveOpens +1")).anyMatch(l -> l.matches("TcpCurrEstab +1"))
                    .anyMatch(l -> l.matches("TcpInSegs +[1-9]\\d*"));
            assertThat(daemon.ctl("stats", "--json").ok().out()).contains("\"TcpPassiveOpens\":1");

            long t0 = System.nanoTime();
            String killed = daemon.ctl("kill", "198.18.0.1:45000").ok().out();
            assertThat(killed).containsPattern("ESTAB +0 +0 +198\\.18\\.0\\.2:7 +198\\.18\\.0\\.1:45000");
            await(30, "the kernel client to see the reset", () -> read(client).contains("reset after"));
            System.out.printf("ctl kill: the kernel client saw ECONNRESET %.0f ms after ctl started%n",
                    (System.nanoTime() - t0) / 1e6);
            assertThat(ns.exec(10, "ss", "-Htan", "sport", "= :45000").ok().out()).as("nothing left in the kernel").isBlank();
            assertThat(daemon.ctl("stats").ok().out().lines()).anyMatch(l -> l.matches("TcpEstabResets +1"))
                    .anyMatch(l -> l.matches("TcpOutRsts +[1-9]\\d*")).noneMatch(l -> l.startsWith("TcpCurrEstab"));
            assertThat(daemon.ctl("kill", "198.18.0.1:45000").exit()).as("nothing to kill any more").isEqualTo(1);
            assertThat(daemon.terminate()[0]).isZero();
            assertThat(daemon.log()).contains("killed ESTAB").doesNotContain("ERROR").doesNotContain("Exception");
        }
    }

    @Test
    void synResendSwitchedAtRunTimeTakesEffectOnTheNextConnection() throws Exception {
        try (Netns ns = Netns.create()) {
            // linux-5.5 resends the SYN after the initial RTO; every RST/ACK the stack sends is lost,
            // so a killed connection stays ESTABLISHED in the kernel and answers the next SYN from
            // the same port with an ACK of the old connection: the unacceptable ACK in SYN-SENT
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--profile", "linux-5.5", "--fault", "out flags=R. drop");
            ns.start(dir.resolve("server.out"), dir.resolve("server.err"), "python3",
                    scripts() + "/interop/echo_server.py", "--bind", Netns.KERNEL_ADDR, "--port", "5001", "--count", "3",
                    "--timeout", "60");
            await(30, "the kernel server", () -> read(dir.resolve("server.out")).contains("listening"));

            double first = connectFromPort40000(daemon, ns, "first");
            double oldResend = connectFromPort40000(daemon, ns, "second");
            String set = daemon.ctl("set", "syn-resend", "timeout-min").ok().out();
            assertThat(set).isEqualTo("syn-resend = timeout-min (was rto-init; applies to the next unacceptable ACK in"
                    + " SYN-SENT)\n");
            double newResend = connectFromPort40000(daemon, ns, "third");
            System.out.printf("connect from port 40000 with a stale kernel connection on it: first %.1f ms, syn-resend"
                    + " rto-init %.1f ms, after ctl set syn-resend timeout-min %.1f ms%n", first, oldResend, newResend);
            assertThat(oldResend).as("rto-init: the SYN goes again after the initial RTO (1 s)").isBetween(900.0, 3000.0);
            assertThat(newResend).as("timeout-min: after TCP_TIMEOUT_MIN (2 ms) and a round trip").isLessThan(500.0);
            assertThat(daemon.log()).contains("set syn-resend = timeout-min (was rto-init");
        }
    }

    /** One relayed connection from 198.18.0.2:40000, then ctl kill (whose RST the fault rule loses); its connect time. */
    private double connectFromPort40000(DaemonProcess daemon, Netns ns, String name) throws Exception {
        Process nc = startClient(daemon.nc("-v", "-p", "40000", Netns.KERNEL_ADDR, "5001"), name);
        Path err = dir.resolve(name + ".err");
        await(30, name + " connection", () -> read(err).contains("connected in"));
        Matcher m = CONNECTED.matcher(read(err));
        assertThat(m.find()).isTrue();
        await(30, "the kernel to see " + name + " connection established", () -> kernelHas(ns, "ESTAB"));
        daemon.ctl("kill", "198.18.0.1:5001").ok();
        assertThat(nc.waitFor(10, TimeUnit.SECONDS)).as("nc ends when its connection is killed").isTrue();
        assertThat(kernelHas(ns, "ESTAB")).as("the kernel never saw the RST").isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static boolean kernelHas(Netns ns, String state) {
        return ns.ss("-Htan", "sport", "= :5001", "dport", "= :40000").contains(state);
    }

    @Test
    void ncConnectsOutFromTheStackAndListensOnIt() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir);
            ns.start(dir.resolve("server.out"), dir.resolve("server.err"), "python3",
                    scripts() + "/interop/echo_server.py", "--bind", Netns.KERNEL_ADDR, "--port", "5002", "--count", "1",
                    "--timeout", "30");
            await(30, "the kernel server", () -> read(dir.resolve("server.out")).contains("listening"));

            // out: stdin to a kernel echo server and back; end of stdin is our FIN, its FIN ends nc
            Process out = startClient(daemon.nc("-v", Netns.KERNEL_ADDR, "5002"), "out");
            try (OutputStream stdin = out.getOutputStream()) {
                stdin.write("hello from the stack\n".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(out.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(out.exitValue()).isZero();
            assertThat(read(dir.resolve("out.out"))).isEqualTo("hello from the stack\n");
            assertThat(read(dir.resolve("out.err"))).containsPattern("198\\.18\\.0\\.2:\\d+ 198\\.18\\.0\\.1:5002 connected in");
            assertThat(read(dir.resolve("server.out"))).contains("echoed 21 bytes to 198.18.0.2:");

            // in: curl from the kernel to a port the stack listens on through nc -l
            Process in = startClient(daemon.nc("-v", "-l", "8080"), "in");
            await(30, "nc -l to listen", () -> read(dir.resolve("in.err")).contains("listening 198.18.0.2:8080"));
            Process curl = ns.start(dir.resolve("curl.out"), dir.resolve("curl.err"), "curl", "-sS", "-m", "10", "-o",
                    dir.resolve("curl.body").toString(), "-w", "%{http_code}", "http://" + Netns.STACK_ADDR + ":8080/hello");
            await(30, "curl's request through nc -l", () -> read(dir.resolve("in.out")).contains("GET /hello HTTP/1.1"));
            try (OutputStream stdin = in.getOutputStream()) {
                stdin.write("HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(in.waitFor(20, TimeUnit.SECONDS)).as("nc -l ends when curl closes").isTrue();
            assertThat(curl.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(read(dir.resolve("curl.out"))).isEqualTo("200");
            assertThat(read(dir.resolve("curl.body"))).isEqualTo("hello\n");
            assertThat(read(dir.resolve("in.err"))).containsPattern("198\\.18\\.0\\.2:8080 198\\.18\\.0\\.1:\\d+ accepted");
            assertThat(daemon.ctl("conns", ":8080").ok().out().lines().filter(l -> l.startsWith("LISTEN")))
                    .as("nc -l stopped listening after its one connection").isEmpty();
        }
    }

    @Test
    void traceAndPcapRecordAKernelConnectionWhileTheDaemonRuns() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir);
            Process trace = startClient(new ProcessBuilder("java", "-jar", DaemonProcess.jar(), "ctl", "trace", "start",
                    "--filter", ":7", "--control", daemon.control.toString()), "trace");
            await(30, "the trace stream", () -> ctlOut(daemon, "status").contains("trace streams 1"));
            Path pcap = dir.resolve("run.pcap");
            assertThat(daemon.ctl("pcap", "start", pcap.toString()).ok().out()).isEqualTo("recording to " + pcap + "\n");

            ns.sh(20, "echo hello | nc -N " + Netns.STACK_ADDR + " 7 && echo x | nc -N " + Netns.STACK_ADDR + " 9").ok();
            await(30, "the trace of the close", () -> read(dir.resolve("trace.out")).contains("-> TIME-WAIT")
                    || read(dir.resolve("trace.out")).contains("LAST-ACK -> CLOSED"));
            assertThat(daemon.ctl("pcap", "stop", pcap.toString()).ok().out()).startsWith("stopped " + pcap + " after ");
            assertThat(daemon.ctl("trace", "stop").ok().out()).isEqualTo("stopped 1 trace stream(s)\n");
            assertThat(trace.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(trace.exitValue()).isZero();
            assertThat(read(dir.resolve("trace.err"))).contains("trace ended: stopped by trace stop");

            String events = read(dir.resolve("trace.out"));
            System.out.println("$ tcpstack ctl trace start --filter :7\n" + events);
            assertThat(events).containsPattern("SEGMENT_IN  198\\.18\\.0\\.2:7 198\\.18\\.0\\.1:\\d+ S seq=\\d+ .* -> LISTEN")
                    .contains("LISTEN -> SYN-RECV").contains("SYN-RECV -> ESTAB").contains("SEGMENT_OUT")
                    .doesNotContain("198.18.0.2:9 ");
            Netns.Result dump = Netns.run(30, "tcpdump", "-r", pcap.toString(), "-n").ok();
            assertThat(dump.out()).contains("198.18.0.1.").contains("> 198.18.0.2.7: Flags [S]")
                    .contains("198.18.0.2.7 > 198.18.0.1.").contains("> 198.18.0.2.9: Flags [S]");
        }
    }

    private static String ctlOut(DaemonProcess daemon, String... args) {
        try {
            return daemon.ctl(args).out();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void sighupReloadsTheConfigAndSigtermDrainsWithFin() throws Exception {
        Path config = dir.resolve("tcpstack.conf");
        Files.writeString(config, "# test\nfin-timeout = 30s\n");
        try (Netns ns = Netns.create()) {
            // started with SIGHUP ignored, as under nohup: the daemon takes it back for its reload
            DaemonProcess daemon = DaemonProcess.start(ns, dir, List.of("nohup"), "--config", config.toString(),
                    "--drain-timeout", "3s");
            assertThat(daemon.ctl("get", "tcp_fin_timeout").ok().out()).isEqualTo("fin-timeout = 30s\n");

            Files.writeString(config, "fin-timeout = 5s\nqueues = 4\n");
            daemon.signal("HUP");
            await(30, "the reload", () -> read(daemon.stderr).contains("reloaded " + config));
            assertThat(daemon.ctl("get", "fin-timeout").ok().out()).isEqualTo("fin-timeout = 5s\n");
            assertThat(daemon.log()).contains("reload: fin-timeout = 5s (was 30s)")
                    .contains("reload: queues = 4 in " + config + " takes effect at the next start (running with 2)");

            Files.writeString(config, "fin-timeout = never\n");
            daemon.signal("HUP");
            await(30, "the failed reload", () -> read(daemon.stderr).contains("reload failed"));
            assertThat(daemon.log()).contains("reload failed, the running configuration stays: " + config
                    + ":1: fin-timeout: must be a duration");
            assertThat(daemon.ctl("get", "fin-timeout").ok().out()).isEqualTo("fin-timeout = 5s\n");

            Netns.Result clash = ns.exec(30, "java", "-jar", DaemonProcess.jar(), "daemon", "--dev", "tun1", "--control",
                    daemon.control.toString(), "--services", "none", "--log-level", "warn");
            assertThat(clash.exit()).isEqualTo(1);
            assertThat(clash.err().strip()).isEqualTo("tcpstack daemon: control socket " + daemon.control
                    + " is in use by a running daemon (--control PATH picks another)");

            Path client = dir.resolve("client.out");
            ns.start(client, dir.resolve("client.err"), "python3", scripts() + "/interop/hold_client.py", "--connect",
                    Netns.STACK_ADDR, "--port", "7", "--timeout", "30");
            await(30, "the kernel client's echo", () -> read(client).contains("echoed"));
            long[] exit = daemon.terminate();
            System.out.println("SIGTERM with one open connection: exit " + exit[0] + " after " + exit[1] + " ms; client: "
                    + read(client).strip().replace('\n', ' '));
            assertThat(exit[0]).isZero();
            assertThat(read(client)).as("the kernel read our FIN, not a reset").contains("eof after");
            assertThat(daemon.log()).containsPattern("drained in \\d+ ms: 1 of 1 open connection\\(s\\) closed with FIN, 0 reset")
                    .contains("summary: ");
            assertThat(Files.exists(daemon.control)).as("the control socket is removed").isFalse();
        }
    }

    @Test
    void badFlagsAndBadConfigFilesStopTheDaemonWithOneLine() throws Exception {
        Path config = dir.resolve("bad.conf");
        Files.writeString(config, "queues = 2\ntw_reuse = 3\n");
        for (List<String> args : List.of(List.of("--queues", "0"), List.of("--config", config.toString()),
                List.of("--syn-resend", "sometimes"))) {
            List<String> command = new ArrayList<>(List.of("java", "-jar", DaemonProcess.jar(), "daemon"));
            command.addAll(args);
            Netns.Result r = Netns.run(30, command);
            System.out.println(String.join(" ", args) + " -> exit " + r.exit() + ": " + r.err().strip());
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err().lines()).hasSize(1);
        }
        Netns.Result r = Netns.run(30, "java", "-jar", DaemonProcess.jar(), "daemon", "--config", config.toString());
        assertThat(r.err().strip()).isEqualTo("tcpstack daemon: " + config + ":2: tw-reuse: must be 0..2, got '3'");
    }
}
