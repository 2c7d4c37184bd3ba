package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.daemon.services.DeterministicBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon as a dual-stack host (issue 17): kernel clients over IPv6 against its services, the
 * stack as an IPv6 client of a kernel server, a Packet Too Big from a kernel router in front of an
 * MTU-1280 link, and the {@code --ipv6} switch. Addresses: 2001:2::1 (kernel) and 2001:2::2 (stack)
 * on tun0; the PMTU test adds 2001:2:1::/64 behind the kernel side.
 */
@Tag("netns")
class Ipv6IT {
    private static final int MIB = 1 << 20;
    private static final String STACK_URL = "http://[" + Netns.STACK_ADDR6 + "]";

    @TempDir
    Path dir;

    private DaemonProcess dualStack(Netns ns, String... args) throws Exception {
        ns.addIpv6();
        List<String> all = new java.util.ArrayList<>(List.of("--addr", Netns.STACK_ADDR6, "--queues", "2"));
        all.addAll(List.of(args));
        DaemonProcess daemon = DaemonProcess.start(ns, dir, all.toArray(String[]::new));
        assertThat(Files.readString(daemon.stdout)).contains("addr=" + Netns.STACK_ADDR + "," + Netns.STACK_ADDR6);
        return daemon;
    }

    @Test
    void kernelClientsPingDownloadEchoAndOpenTwoHundredConnectionsOverIpv6() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = dualStack(ns);
            assertThat(daemon.ctl("conns", "state", "listening").ok().out())
                    .containsPattern("\\[2001:2::2\\]:80 +\\[::\\]:\\*").containsPattern("198\\.18\\.0\\.2:80 +0\\.0\\.0\\.0:\\*")
                    .containsPattern("\\[2001:2::2\\]:7 +\\[::\\]:\\*");

            for (String size : List.of("56", "1400")) {
                Netns.Result ping = ns.exec(60, "ping", "-6", "-n", "-c", "20", "-s", size, "-i", "0.02", "-W", "2",
                        Netns.STACK_ADDR6).ok();
                assertThat(ping.out()).contains("20 packets transmitted, 20 received, 0% packet loss");
                System.out.println("ping -6 -s " + size + ": " + summary(ping.out()));
            }

            long size = 64L << 20;
            long t0 = System.nanoTime();
            Netns.Result curl = ns.sh(180, "curl -6 -sS --fail -m 170 " + STACK_URL + "/bytes/" + size + " | sha256sum")
                    .ok();
            assertThat(curl.out().split(" ")[0]).isEqualTo(deterministicSha256(size));
            System.out.printf("curl -6 /bytes/%d: sha256 exact, %.0f MB/s%n", size, size / 1e6
                    / ((System.nanoTime() - t0) / 1e9));

            byte[] data = new byte[16 * MIB];
            new Random(17).nextBytes(data);
            Path in = dir.resolve("in.bin");
            Files.write(in, data);
            Netns.Result nc = ns.sh(180, "nc -6 -N -w 60 " + Netns.STACK_ADDR6 + " 7 < " + in + " | sha256sum").ok();
            assertThat(nc.out().split(" ")[0]).isEqualTo(sha256(data));

            Netns.Result shortConns = ns.exec(180, "python3", DaemonProcess.scripts() + "/interop/short_conns.py", "http",
                    "--connect", Netns.STACK_ADDR6, "--port", "80", "--count", "200").ok();
            assertThat(shortConns.out()).contains("ok=200 failed=0");
            System.out.println("200 short HTTP connections over IPv6: " + shortConns.out().trim());

            String stats = daemon.ctl("stats").ok().out();
            assertThat(counter(stats, "Icmp6InEchos")).isGreaterThanOrEqualTo(40);
            assertThat(counter(stats, "Icmp6OutEchoReplies")).isEqualTo(counter(stats, "Icmp6InEchos"));
            assertThat(counter(stats, "TcpPassiveOpens")).isGreaterThanOrEqualTo(202);
            assertThat(daemon.terminate()[0]).isZero();
            assertThat(daemon.log()).doesNotContain("Exception");
        }
    }

    /** {@code tcpstack nc 2001:2::1 PORT}: 16 MiB up to a kernel echo server and the same 16 MiB back. */
    @Test
    void stackClientSendsSixteenMebibytesToAKernelIpv6EchoServerAndReadsThemBack() throws Exception {
        byte[] data = new byte[16 * MIB];
        new Random(6).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Path back = dir.resolve("back.bin");
        Files.write(in, data);
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = dualStack(ns);
            ns.start(dir.resolve("server.out"), dir.resolve("server.err"), "python3",
                    DaemonProcess.scripts() + "/interop/echo_server.py", "--bind", Netns.KERNEL_ADDR6, "--port", "5007",
                    "--count", "1", "--timeout", "150");
            DaemonProcess.await(60, "the kernel echo server", () -> DaemonProcess.read(dir.resolve("server.out"))
                    .contains("listening"));

            Process nc = daemon.nc("-v", Netns.KERNEL_ADDR6, "5007").redirectInput(in.toFile())
                    .redirectOutput(back.toFile()).redirectError(dir.resolve("nc.err").toFile()).start();
            assertThat(nc.waitFor(150, TimeUnit.SECONDS)).as("tcpstack nc finished; stderr: %s",
                    DaemonProcess.read(dir.resolve("nc.err"))).isTrue();
            assertThat(nc.exitValue()).as("exit status; stderr: %s", DaemonProcess.read(dir.resolve("nc.err"))).isZero();
            assertThat(DaemonProcess.read(dir.resolve("nc.err"))).contains("[2001:2::1]:5007");
            assertThat(Files.size(back)).isEqualTo(data.length);
            assertThat(sha256(Files.readAllBytes(back))).isEqualTo(sha256(data));
            DaemonProcess.await(30, "the server's report", () -> DaemonProcess.read(dir.resolve("server.out"))
                    .contains("echoed " + data.length + " bytes to 2001:2::2:"));
            assertThat(daemon.terminate()[0]).isZero();
        }
    }

    /**
     * A kernel router (the tun0 namespace, forwarding) in front of an MTU-1280 veth to a second
     * namespace whose route to 2001:2::/64 advertises MSS 1440: the stack's first full segments to
     * that client are too big for the veth, the router answers with Packet Too Big (mtu 1280), the
     * stack's segments to it shrink to 1208 bytes (1280 - 40 - 20 - 12 of timestamps) and the
     * download completes byte-exact; segments to 2001:2::1, on tun0 itself, stay 1428 bytes: the
     * path MTU is per destination.
     */
    @Test
    void packetTooBigFromAKernelRouterShrinksTheSegmentsToThatDestinationOnly() throws Exception {
        Path pcap = dir.resolve("ptb.pcap");
        try (Netns ns = Netns.create(); Netns far = Netns.createEmpty()) {
            DaemonProcess daemon = dualStack(ns, "--pcap", pcap.toString());
            Netns.run(10, "ip", "link", "add", "ptb-r", "netns", ns.name, "type", "veth", "peer", "name", "ptb-h", "netns",
                    far.name).ok();
            ns.exec(10, "ip", "-6", "addr", "add", "2001:2:1::1/64", "dev", "ptb-r", "nodad").ok();
            ns.exec(10, "ip", "link", "set", "ptb-r", "mtu", "1280", "up").ok();
            ns.exec(10, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1").ok();
            far.exec(10, "ip", "-6", "addr", "add", "2001:2:1::2/64", "dev", "ptb-h", "nodad").ok();
            far.exec(10, "ip", "link", "set", "ptb-h", "mtu", "1280", "up").ok();
            far.exec(10, "ip", "-6", "route", "add", "2001:2::/64", "via", "2001:2:1::1", "advmss", "1440").ok();

            long size = 4L << 20;
            String expected = deterministicSha256(size);
            Netns.Result farCurl = far.sh(150, "curl -6 -sS --fail -m 140 " + STACK_URL + "/bytes/" + size + " | sha256sum")
                    .ok();
            assertThat(farCurl.out().split(" ")[0]).as("through the MTU-1280 link").isEqualTo(expected);
            Netns.Result nearCurl = ns.sh(150, "curl -6 -sS --fail -m 140 " + STACK_URL + "/bytes/" + size + " | sha256sum")
                    .ok();
            assertThat(nearCurl.out().split(" ")[0]).as("on tun0").isEqualTo(expected);

            long tooBig = counter(daemon.ctl("stats").ok().out(), "Icmp6InPktTooBigs");
            assertThat(tooBig).isPositive();
            assertThat(daemon.terminate()[0]).isZero();

            String packets = Netns.run(60, "tcpdump", "-r", pcap.toString(), "-n").ok().out();
            assertThat(packets).contains("IP6 2001:2::1 > 2001:2::2: ICMP6, packet too big, mtu 1280");
            long farFull = count(packets, "2001:2::2.80 > 2001:2:1::2.*length 1428(:|$)");
            long farShrunk = count(packets, "2001:2::2.80 > 2001:2:1::2.*length 1208(:|$)");
            long farOver = count(packets, "2001:2::2.80 > 2001:2:1::2.*length (12(09|[1-9]\\d)|1[3-9]\\d\\d)(:|$)");
            long nearFull = count(packets, "2001:2::2.80 > 2001:2::1\\.\\d+: .*length 1428(:|$)");
            System.out.printf("Packet Too Big: %d received; to 2001:2:1::2 %d segments of 1428 bytes before, %d of 1208"
                    + " after; to 2001:2::1 %d of 1428%n", tooBig, farFull, farShrunk, nearFull);
            assertThat(farFull).as("full segments sent before the Packet Too Big").isPositive();
            assertThat(farShrunk).as("shrunk segments").isGreaterThan(size / 1208 * 9 / 10);
            assertThat(farOver).as("segments over 1208 bytes to the far client, all sent before the first Packet Too Big")
                    .isEqualTo(farFull);
            assertThat(nearFull).as("full segments to the client on tun0").isGreaterThan(size / 1428 * 9 / 10);
        }
    }

    /**
     * {@code --ipv6 0} drops every IPv6 packet (counted), IPv4 still works, and {@code ctl set ipv6
     * 1} turns it on; then a live trace's ladder, the pcap and a ladder of the pcap show IPv6.
     */
    @Test
    void theIpv6SwitchThenIpv6InTracesLaddersAndThePcap() throws Exception {
        Path pcap = dir.resolve("v6.pcap");
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = dualStack(ns, "--ipv6", "0", "--pcap", pcap.toString());
            Netns.Result off = ns.exec(30, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "1", Netns.STACK_ADDR6);
            assertThat(off.out()).contains("3 packets transmitted, 0 received");
            assertThat(counter(daemon.ctl("stats").ok().out(), "IPV6_DISABLED")).isGreaterThanOrEqualTo(3);
            ns.exec(30, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", Netns.STACK_ADDR).ok();

            assertThat(daemon.ctl("set", "ipv6", "1").ok().out()).startsWith("ipv6 = 1 (was 0");
            Netns.Result on = ns.exec(30, "ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", Netns.STACK_ADDR6).ok();
            assertThat(on.out()).contains("3 packets transmitted, 3 received");

            Path out = dir.resolve("ladder.out");
            Process trace = new ProcessBuilder("java", "-jar", DaemonProcess.jar(), "ctl", "trace", "--ladder",
                    Netns.KERNEL_ADDR6, "--control", daemon.control.toString()).redirectOutput(out.toFile())
                    .redirectError(dir.resolve("ladder.err").toFile()).start();
            try {
                DaemonProcess.await(60, "the trace to start", () -> DaemonProcess.read(daemon.stderr)
                        .contains("started a trace"));
                ns.exec(60, "curl", "-6", "-sS", "-o", "/dev/null", STACK_URL + "/bytes/3000").ok();
                assertThat(ns.exec(30, "curl", "-6", "-sS", STACK_URL + ":81/").exit()).as("closed port").isNotZero();
                Thread.sleep(300);
            } finally {
                trace.destroy(); // SIGTERM: the trace ends and the ladder is drawn
                assertThat(trace.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(Files.readString(out)).contains("tcpstack 2001:2::2").contains("peer 2001:2::1")
                    .contains("x dropped by 2001:2::2: TCP_NO_SOCKET");
            assertThat(daemon.terminate()[0]).isZero();

            Netns.Result read = Netns.run(30, "tcpdump", "-r", pcap.toString(), "-n", "-v").ok();
            assertThat(read.out() + read.err()).doesNotContainIgnoringCase("malformed").doesNotContain("bad cksum")
                    .doesNotContain("[|");
            String brief = Netns.run(30, "tcpdump", "-r", pcap.toString(), "-n").ok().out();
            assertThat(count(brief, "IP6 2001:2::1 > 2001:2::2: ICMP6, echo request")).isEqualTo(6);
            assertThat(count(brief, "IP6 2001:2::2 > 2001:2::1: ICMP6, echo reply")).isEqualTo(3);
            assertThat(count(brief, "IP6 2001:2::2.80 > 2001:2::1\\.\\d+: Flags \\[S\\.\\]")).isEqualTo(1);
            Netns.Result ladder = Netns.run(60, "java", "-jar", DaemonProcess.jar(), "ladder", pcap.toString(),
                    "[2001:2::2]:80").ok();
            assertThat(ladder.out()).contains("2001:2::1 (client)").contains("2001:2::2 (server)").contains("S. seq=0 ack=1");
        }
    }

    private static String summary(String ping) {
        return ping.lines().filter(l -> l.contains("loss") || l.startsWith("rtt")).toList().toString();
    }

    /** A counter's value in {@code ctl stats} output (name, spaces, value). */
    private static long counter(String stats, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " +(\\d+)").matcher(stats);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static long count(String text, String regex) {
        Pattern p = Pattern.compile(regex);
        return text.lines().filter(l -> p.matcher(l).find()).count();
    }

    /** The sha256 of the http service's /bytes/N body. */
    private static String deterministicSha256(long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[1 << 16];
        for (long off = 0; off < size; off += chunk.length) {
            int n = (int) Math.min(chunk.length, size - off);
            DeterministicBytes.fill(off, chunk, n);
            sha.update(chunk, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
