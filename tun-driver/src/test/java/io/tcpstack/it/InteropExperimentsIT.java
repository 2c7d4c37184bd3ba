package io.tcpstack.it;

import static io.tcpstack.it.DaemonProcess.await;
import static io.tcpstack.it.DaemonProcess.read;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interop tester's experiments (README, "Interop experiments") against kernel peers, on one
 * running daemon each: fault rules added and cleared while it runs, both ends' views side by side,
 * and tcpstack nc as a scriptable peer (half-close, RST close, per-connection SYN options).
 */
@Tag("netns")
class InteropExperimentsIT {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @RegisterExtension
    final Clients clients = new Clients();

    private Process startClient(ProcessBuilder pb, String name) throws IOException {
        return clients.start(pb, dir, name);
    }

    private Process ctlStream(DaemonProcess daemon, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("java", "-jar", DaemonProcess.jar(), "ctl"));
        command.addAll(List.of(args));
        command.addAll(List.of("--control", daemon.control.toString()));
        return startClient(new ProcessBuilder(command), name);
    }

    private static String out(DaemonProcess daemon, String... args) {
        try {
            return daemon.ctl(args).ok().out();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value in column {@code column} (1: the stack's, 2: the kernel's) of a counter line; 0 when absent or "-". */
    private static long counter(String report, String name, int column) {
        return report.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> l.trim().split("\\s+")[column]).filter(v -> !v.equals("-")).map(Long::parseLong).orElse(0L);
    }

    private static String sha256(byte[] data) throws Exception {
        return TcpInteropIT.sha256(data);
    }

    /** {@code tcpstack nc ARGS} with {@code stdin} as its whole input (end of it: the connection's end). */
    private Process nc(DaemonProcess daemon, String name, String stdin, String... args) throws IOException {
        Process nc = startClient(daemon.nc(args), name);
        try (OutputStream in = nc.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        return nc;
    }

    /** One request on the daemon's control socket itself: the body of its {@code ok N} reply. */
    private static List<String> request(Path socket, String line) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            BufferedReader reply = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                    StandardCharsets.UTF_8));
            String status = reply.readLine();
            assertThat(status).as("reply to %s", line).startsWith("ok ");
            List<String> body = new ArrayList<>();
            for (int i = Integer.parseInt(status.substring(3)); i > 0; i--) {
                body.add(reply.readLine());
            }
            return body;
        }
    }

    /**
     * Loss experiments run with flow affinity: the default (none) spreads one flow's inbound
     * segments over two workers on purpose (the FIN/ACK race), which a sender sees as reordering.
     */
    @Test
    void aFreshOnlyLossOnADownloadToCurlIsRepairedBySackRecoveryAndBothEndsShowIt() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--affinity", "flow");
            assertThat(out(daemon, "fault", "add", "out", ":80", "data", "drop", "once", "fresh-only"))
                    .isEqualTo("fault 1: out :80 data drop once fresh-only\n");
            // the start of the download, each segment with the rule that sent it: the loss is in the first flight
            Process trace = ctlStream(daemon, "trace-80", "trace", "start", "-v", "--count", "600", ":80");
            await(60, "the trace stream", () -> out(daemon, "status").contains("trace streams 1"));
            long size = 64L * MIB;
            Process curl = ns.start(dir.resolve("curl.out"), dir.resolve("curl.err"), "curl", "-sS", "--fail", "-o",
                    dir.resolve("body").toString(), "http://" + Netns.STACK_ADDR + "/bytes/" + size);
            // both ends side by side, once the lost segment went again: asked straight on the control
            // socket, again and again while curl downloads (a ctl command would start a JVM each time)
            String sideBySide = null;
            List<String> conns = List.of();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (sideBySide == null && curl.isAlive() && System.nanoTime() < deadline) {
                conns = request(daemon.control, "conns -i --kernel :80");
                boolean retransmitted = conns.stream()
                        .anyMatch(l -> l.startsWith("\tts ") && l.matches(".* retrans:0/[1-9].*"));
                if (retransmitted && conns.stream().anyMatch(l -> l.startsWith("\tkernel ESTAB"))) {
                    sideBySide = String.join("\n", conns);
                }
                Thread.sleep(10);
            }
            System.out.println("$ tcpstack ctl conns -i --kernel :80\n" + sideBySide);
            assertThat(sideBySide).as("both ends seen after the retransmission, while curl downloaded (curl %s, %s);"
                    + " last seen:%n%s", curl.isAlive() ? "running" : "ended", read(dir.resolve("curl.err")),
                    String.join("\n", conns)).isNotNull();
            assertThat(out(daemon, "fault", "list")).contains("dropped 1)");
            assertThat(sideBySide).containsPattern("ESTAB +\\d+ +\\d+ +198\\.18\\.0\\.2:80 +198\\.18\\.0\\.1:\\d+\n"
                    + "\tts sack cubic ca_state:\\w+ wscale:\\d+,\\d+ rto:.* bytes_retrans:\\d+ .*retrans:\\d+/[1-9]\\d* .*\n"
                    + "\tkernel ESTAB \\d+ \\d+ 198\\.18\\.0\\.1:\\d+ 198\\.18\\.0\\.2:80 .*");
            assertThat(curl.waitFor(120, TimeUnit.SECONDS)).as("curl finishes").isTrue();
            assertThat(curl.exitValue()).as("curl: %s", read(dir.resolve("curl.err"))).isZero();
            assertThat(Files.size(dir.resolve("body"))).isEqualTo(size);

            String stats = out(daemon, "stats", "--kernel");
            System.out.println("$ tcpstack ctl stats --kernel\n" + stats);
            assertThat(counter(stats, "TcpExtTCPSackRecovery", 1)).as("the stack recovered by SACK").isPositive();
            assertThat(counter(stats, "TcpExtTCPFastRetrans", 1)).isPositive();
            // not by a timeout: the dropped segment went again as a fast retransmit (a loaded machine can
            // still cost a spurious timeout later in 64 MiB, so the whole run's TcpExtTCPTimeouts is no proof)
            assertThat(trace.waitFor(60, TimeUnit.SECONDS)).as("the trace ends at its count").isTrue();
            assertThat(repairOfTheDrop(read(dir.resolve("trace-80.out"))))
                    .as("the dropped segment's retransmission").contains("\trule=FAST_RETRANSMIT\t");
            assertThat(counter(stats, "TcpExtTCPOFOQueue", 2)).as("the kernel queued the data behind the hole")
                    .isPositive();
            assertThat(stats).containsPattern("FAULT_INJECTED +1\n");
        }
    }

    /** In a verbose trace: the first segment sent again with the sequence number of the one a rule dropped. */
    private static String repairOfTheDrop(String trace) {
        List<String> lines = trace.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            Matcher drop = Pattern.compile(" FAULT .* dropped: out \\S+ (seq=\\d+) ").matcher(lines.get(i));
            if (drop.find()) {
                String seq = " " + drop.group(1) + " ";
                return lines.subList(i + 1, lines.size()).stream()
                        .filter(l -> l.contains(" SEGMENT_OUT ") && l.contains(seq)).findFirst()
                        .orElseThrow(() -> new AssertionError("no retransmission in the trace:\n" + trace));
            }
        }
        throw new AssertionError("no FAULT drop in the trace:\n" + trace);
    }

    @Test
    void theKernelAsSenderRecoversAFreshOnlyLossBySackAsItsOwnCountersShow() throws Exception {
        byte[] file = new byte[4 * MIB];
        new Random(7).nextBytes(file);
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.write(www.resolve("file"), file);
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--affinity", "flow");
            ns.start(dir.resolve("http.out"), dir.resolve("http.err"), "python3", "-u", "-m", "http.server", "8000",
                    "--bind", Netns.KERNEL_ADDR, "--directory", www.toString());
            await(60, "the kernel's HTTP server", () -> read(dir.resolve("http.out")).contains("Serving HTTP"));
            out(daemon, "fault", "add", "in", ":8000", "data", "drop", "once", "fresh-only");

            Process nc = nc(daemon, "get", "GET /file HTTP/1.0\r\n\r\n", "-v", Netns.KERNEL_ADDR, "8000");
            assertThat(nc.waitFor(120, TimeUnit.SECONDS)).as("the download ends with the server's close").isTrue();
            byte[] response = Files.readAllBytes(dir.resolve("get.out"));
            int body = indexOf(response, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
            assertThat(sha256(Arrays.copyOfRange(response, body, response.length))).isEqualTo(sha256(file));
            assertThat(out(daemon, "fault", "list")).contains("(matched ").contains("dropped 1)");

            String nstat = ns.exec(10, "nstat", "-asz").ok().out();
            System.out.println("kernel (the sender) after one fresh-only loss: " + nstat.lines()
                    .filter(l -> l.matches("TcpExt(TCPSackRecovery|TCPFastRetrans|TCPTimeouts|TCPLossProbes|TCPSACKReorder) .*"))
                    .map(l -> l.replaceAll("\\s+", " ").trim()).toList());
            assertThat(counter(nstat, "TcpExtTCPSackRecovery", 1)).as("the kernel's SACK recoveries").isPositive();
            assertThat(counter(nstat, "TcpExtTCPFastRetrans", 1)).as("the kernel's fast retransmits").isPositive();
            assertThat(counter(nstat, "TcpExtTCPTimeouts", 1)).as("the kernel's retransmission timeouts").isZero();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("no end of the HTTP head in " + haystack.length + " bytes");
    }

    @Test
    void twoRulesOnTwoPortsEachTouchOnlyItsPortAndTheirCountsAndTraceLinesNameTheConnection() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir);
            // one trace per port, with ENDPOINT arguments as ctl conns and kill take them
            List<Process> traces = new ArrayList<>();
            for (String port : List.of("80", "9", "7")) {
                traces.add(ctlStream(daemon, "trace-" + port, "trace", "start", ":" + port));
            }
            await(60, "three trace streams", () -> out(daemon, "status").contains("trace streams 3"));
            assertThat(out(daemon, "fault", "add", "out", ":80", "data", "drop", "every=10"))
                    .isEqualTo("fault 1: out :80 data drop every=10\n");
            assertThat(out(daemon, "fault", "add", "in", ":9", "data", "drop", "every=10"))
                    .isEqualTo("fault 2: in :9 data drop every=10\n");

            DaemonIT.assertCurlGetsExactBytes(ns, MIB, 100);
            ns.sh(60, "head -c 1048576 /dev/urandom | nc -N " + Netns.STACK_ADDR + " 9").ok();
            assertThat(ns.sh(30, "echo untouched | nc -N " + Netns.STACK_ADDR + " 7").ok().out()).isEqualTo("untouched\n");

            String list = out(daemon, "fault", "list");
            System.out.println("$ tcpstack ctl fault list\n" + list);
            long[] dropped = list.lines().mapToLong(l -> Long.parseLong(l.replaceAll(".*dropped (\\d+)\\)$", "$1"))).toArray();
            assertThat(dropped).hasSize(2);
            assertThat(dropped[0]).as("rule 1's drops").isPositive();
            assertThat(dropped[1]).as("rule 2's drops").isPositive();
            long injected = dropped[0] + dropped[1];
            assertThat(counter(out(daemon, "stats"), "FAULT_INJECTED", 1)).isEqualTo(injected);

            // every drop of each rule is in its own port's trace, naming the connection and the segment
            await(60, "every fault in the port's trace", () -> faultLines(read(dir.resolve("trace-80.out"))).size()
                    == dropped[0] && faultLines(read(dir.resolve("trace-9.out"))).size() == dropped[1]);
            List<String> at80 = faultLines(read(dir.resolve("trace-80.out")));
            List<String> at9 = faultLines(read(dir.resolve("trace-9.out")));
            System.out.println("$ tcpstack ctl trace start :80 (fault lines)\n" + String.join("\n", at80.subList(0, 2))
                    + "\n$ tcpstack ctl trace start :9 (fault lines)\n" + String.join("\n", at9.subList(0, 2)));
            assertThat(at80).allMatch(l -> l.matches("\\d+\\.\\d+ FAULT +198\\.18\\.0\\.2:80 198\\.18\\.0\\.1:\\d+ rule 1"
                    + " dropped: out F?P?\\. seq=\\d+ ack=\\d+ win=\\d+ len=[1-9]\\d*"));
            assertThat(at9).allMatch(l -> l.matches("\\d+\\.\\d+ FAULT +198\\.18\\.0\\.2:9 198\\.18\\.0\\.1:\\d+ rule 2"
                    + " dropped: in F?P?\\. seq=\\d+ ack=\\d+ win=\\d+ len=[1-9]\\d*"));
            assertThat(faultLines(read(dir.resolve("trace-7.out")))).as("the echo on port 7 was left alone").isEmpty();
            for (String port : List.of("80", "9", "7")) {
                assertThat(read(dir.resolve("trace-" + port + ".out"))).as("no trace event lost").doesNotContain("events dropped");
            }

            assertThat(out(daemon, "fault", "clear", "1")).startsWith("cleared fault 1: out :80 data drop every=10");
            assertThat(out(daemon, "fault", "list")).startsWith("2 in :9 data drop every=10 (matched ");
            DaemonIT.assertCurlGetsExactBytes(ns, MIB, 100);
            assertThat(out(daemon, "fault", "clear")).startsWith("cleared fault 2: ");
            assertThat(out(daemon, "fault", "list")).isEqualTo("no fault rules\n");
            assertThat(counter(out(daemon, "stats"), "FAULT_INJECTED", 1)).as("nothing more after the clears")
                    .isEqualTo(injected);
            out(daemon, "trace", "stop");
            for (Process t : traces) {
                assertThat(t.waitFor(10, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(daemon.terminate()[0]).isZero();
            assertThat(daemon.log()).contains("added fault rule 1: out :80 data drop every=10")
                    .contains("cleared fault rule 2: in :9 data drop every=10").containsPattern(
                            "summary: .* packets dropped \\(" + injected + " by fault rules\\)");
        }
    }

    private static List<String> faultLines(String trace) {
        return trace.lines().filter(l -> l.contains(" FAULT ")).toList();
    }

    @Test
    void ncHalfCloseHoldsTheKernelPeerInFinWait2UntilStdinEnds() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir);
            Process nc = startClient(daemon.nc("-v", "--half-close", "-l", "8081"), "held");
            await(60, "nc -l", () -> read(dir.resolve("held.err")).contains("listening 198.18.0.2:8081"));
            // the kernel's nc sends a line, shuts its side down (FIN) and reads until the stack closes
            Process kernel = ns.start(dir.resolve("kernel.out"), dir.resolve("kernel.err"), "bash", "-c",
                    "echo hi | nc -N " + Netns.STACK_ADDR + " 8081");
            await(60, "the kernel's line", () -> read(dir.resolve("held.out")).equals("hi\n"));
            await(60, "the kernel in FIN-WAIT-2", () -> kernelState(ns).equals("FIN-WAIT-2"));
            for (int i = 0; i < 6; i++) {
                Thread.sleep(500);
                assertThat(kernelState(ns)).as("still held after %d ms", (i + 1) * 500).isEqualTo("FIN-WAIT-2");
                assertThat(out(daemon, "conns", ":8081")).contains("CLOSE-WAIT");
            }
            assertThat(nc.isAlive()).isTrue();
            try (OutputStream stdin = nc.getOutputStream()) {
                stdin.write("bye\n".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(kernel.waitFor(60, TimeUnit.SECONDS)).as("the kernel's nc ends at our FIN").isTrue();
            assertThat(read(dir.resolve("kernel.out"))).isEqualTo("bye\n");
            assertThat(nc.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(nc.exitValue()).isZero();
            assertThat(kernelState(ns)).as("the kernel closed first: it holds TIME-WAIT").isEqualTo("TIME-WAIT");
            System.out.println("nc --half-close: " + read(dir.resolve("held.err")).strip().replace('\n', ' '));
        }
    }

    private static String kernelState(Netns ns) {
        String line = ns.ss("-Htan", "dport", "= :8081").strip();
        return line.isEmpty() ? "none" : line.split("\\s+")[0];
    }


    @Test
    void ncLingerZeroEndsWithAnRstAndNoFin() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir);
            Process server = ns.start(dir.resolve("srv.out"), dir.resolve("srv.err"), "nc", "-l", Netns.KERNEL_ADDR,
                    "5003");
            await(60, "the kernel's listener", () -> listening(ns, 5003));
            Path pcap = dir.resolve("linger.pcap");
            out(daemon, "pcap", "start", pcap.toString());
            Process nc = nc(daemon, "linger", "hi\n", "-v", "--linger", "0", Netns.KERNEL_ADDR, "5003");
            assertThat(nc.waitFor(60, TimeUnit.SECONDS)).isTrue();
            await(60, "the kernel's listener to see the reset", () -> !server.isAlive());
            out(daemon, "pcap", "stop", pcap.toString());
            String dump = Netns.run(30, "tcpdump", "-r", pcap.toString(), "-n", "src host " + Netns.STACK_ADDR
                    + " and tcp port 5003").ok().out();
            System.out.println("nc --linger 0, what the stack sent:\n" + dump);
            assertThat(dump).contains("Flags [R.]").doesNotContain("Flags [F.]").doesNotContain("Flags [FP.]");
        }
    }

    private static boolean listening(Netns ns, int port) {
        return !ns.ss("-Htln", "sport", "= :" + port).isBlank();
    }

    @Test
    void ncOptionsPutASynWithOnlyTheMssOnTheWireAsTcpdumpSeesIt() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir);
            ns.start(dir.resolve("server.out"), dir.resolve("server.err"), "python3",
                    DaemonProcess.scripts() + "/interop/echo_server.py", "--bind", Netns.KERNEL_ADDR, "--port", "5004",
                    "--count", "2", "--timeout", "60");
            await(60, "the kernel server", () -> read(dir.resolve("server.out")).contains("listening"));
            Path dump = dir.resolve("syn.out");
            ns.start(dump, dir.resolve("syn.err"), "tcpdump", "-l", "-n", "-i", Netns.DEVICE, "-c", "2",
                    "tcp[tcpflags] & tcp-syn != 0 and src host " + Netns.STACK_ADDR);
            await(60, "tcpdump", () -> read(dir.resolve("syn.err")).contains("listening on " + Netns.DEVICE));
            for (String options : List.of("ts=0,sack=0,ws=0", "mss=536,nodelay=1")) {
                Process nc = nc(daemon, "nc", "x", "-o", options, Netns.KERNEL_ADDR, "5004");
                assertThat(nc.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(read(dir.resolve("nc.out"))).isEqualTo("x");
            }
            await(60, "both SYNs", () -> read(dump).lines().count() == 2);
            List<String> syns = read(dump).lines().toList();
            System.out.println("tcpdump of the stack's SYNs:\n" + String.join("\n", syns));
            assertThat(syns.get(0)).containsPattern("Flags \\[S\\], seq \\d+, win 64240, options \\[mss 1460\\], length 0$");
            assertThat(syns.get(1)).containsPattern("Flags \\[S\\], seq \\d+, win \\d+, options \\[mss 536,sackOK,TS val \\d+"
                    + " ecr 0,nop,wscale \\d+\\], length 0$");
        }
    }

    @Test
    void sixteenMebibytesEachWayStayByteExactThroughLossReorderingAndDuplication() throws Exception {
        byte[] up = new byte[16 * MIB];
        new Random(13).nextBytes(up);
        Path in = dir.resolve("up.bin");
        Files.write(in, up);
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--fault", "both any drop p=0.05 seed=1;"
                    + " both any reorder p=0.05 seed=2; both any duplicate p=0.01 seed=3");
            long t0 = System.nanoTime();
            DaemonIT.assertCurlGetsExactBytes(ns, 16L * MIB, 280);
            double download = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            Netns.Result echo = ns.sh(300, "nc -N " + Netns.STACK_ADDR + " 7 < " + in + " | sha256sum").ok();
            double echoSeconds = (System.nanoTime() - t0) / 1e9;
            assertThat(echo.out().split(" ")[0]).as("16 MiB up and echoed back").isEqualTo(sha256(up));

            String stats = out(daemon, "stats");
            String load = Files.readString(Path.of("/proc/loadavg")).strip();
            System.out.printf("impairment (5%% loss, 5%% reordering, 1%% duplication, both directions, default daemon):"
                    + " curl 16 MiB down in %.1f s = %.2f MB/s goodput; 16 MiB echoed (up and down at once) in %.1f s ="
                    + " %.2f MB/s each way; FAULT_INJECTED %d, reordered %d, duplicated %d; the stack retransmitted %d"
                    + " segments, in %d SACK recoveries and %d timeouts; load %s%n", download, 16.0 * MIB / download / 1e6,
                    echoSeconds, 16.0 * MIB / echoSeconds / 1e6, counter(stats, "FAULT_INJECTED", 1),
                    counter(stats, "TcpExtFaultReordered", 1), counter(stats, "TcpExtFaultDuplicated", 1),
                    counter(stats, "TcpRetransSegs", 1), counter(stats, "TcpExtTCPSackRecovery", 1),
                    counter(stats, "TcpExtTCPTimeouts", 1), load);
            assertThat(counter(stats, "FAULT_INJECTED", 1)).isPositive();
            assertThat(counter(stats, "TcpExtFaultReordered", 1)).isPositive();
            assertThat(counter(stats, "TcpExtFaultDuplicated", 1)).isPositive();
            assertThat(daemon.terminate()[0]).isZero();
        }
    }
}
