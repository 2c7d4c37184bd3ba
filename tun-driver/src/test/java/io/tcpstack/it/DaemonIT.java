package io.tcpstack.it;

import static io.tcpstack.it.DaemonProcess.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.daemon.services.DeterministicBytes;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The daemon on a 2-queue TUN device in a fresh namespace, against the kernel's ping. */
@Tag("netns")
class DaemonIT {

    @TempDir
    Path dir;

    @Test
    void answersPingOfBothSizesWithoutLossAndRecordsADecodablePcap() throws Exception {
        Path pcap = dir.resolve("daemon.pcap");
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--queues", "2", "--pcap", pcap.toString());
            for (String size : List.of("56", "1400")) {
                Netns.Result ping = ns.exec(30, "ping", "-n", "-c", "20", "-s", size, "-i", "0.02", "-W", "2",
                        Netns.STACK_ADDR).ok();
                assertThat(ping.out()).contains("20 packets transmitted, 20 received, 0% packet loss");
                System.out.println("ping -s " + size + ": " + ping.out().lines().filter(l -> l.contains("loss") || l.startsWith("rtt"))
                        .toList());
            }
            long[] exit = daemon.terminate();
            assertThat(exit[0]).as("exit status").isZero();

            Netns.Result read = Netns.run(30, "tcpdump", "-r", pcap.toString(), "-n", "-v").ok();
            List<String> lines = Arrays.asList(read.out().split("\n"));
            assertThat(read.out() + read.err()).doesNotContainIgnoringCase("malformed")
                    .doesNotContainIgnoringCase("truncated").doesNotContain("bad cksum").doesNotContain("[|");
            assertThat(lines.stream().filter(l -> l.contains("198.18.0.1 > 198.18.0.2: ICMP echo request")))
                    .hasSize(40);
            assertThat(lines.stream().filter(l -> l.contains("198.18.0.2 > 198.18.0.1: ICMP echo reply")))
                    .hasSize(40);
            assertThat(lines.stream().filter(l -> l.contains("length 1408"))).as("1400-byte payloads, both ways")
                    .hasSize(40);
        }
    }

    @Test
    void curlDownloadsSixtyFourMebibytesByteExact() throws Exception {
        long size = 64L << 20;
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--queues", "2");
            assertCurlGetsExactBytes(ns, size);
            assertThat(daemon.terminate()[0]).isZero();
            // the download left in io_uring batches (TunTransmit): over 46,000 segments, far fewer submissions
            Matcher stop = Pattern.compile("tx (\\d+) tx-errors (\\d+) packets, rx \\d+ super-packets, tx (\\d+) io_uring batches")
                    .matcher(daemon.log());
            assertThat(stop.find()).as("the daemon's stop line").isTrue();
            long packets = Long.parseLong(stop.group(1));
            long batches = Long.parseLong(stop.group(3));
            System.out.println("64 MiB download: " + packets + " packets sent in " + batches + " io_uring batches");
            assertThat(packets).isGreaterThan(size / 1448);
            assertThat(Long.parseLong(stop.group(2))).as("tx errors").isZero();
            assertThat(batches).isPositive().isLessThan(packets / 2);
        }
    }

    /**
     * {@code --offload 1}: the device carries the virtio-net header, the kernel hands the stack
     * TSO super-packets (an upload to discard) and takes its 64 KiB segments (a download), and
     * the bytes are still exact.
     */
    @Test
    void withOffloadTheKernelSendsSuperPacketsAndCurlStillGetsExactBytes() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--queues", "1", "--offload", "1");
            ns.sh(60, "head -c 33554432 /dev/zero | nc -N -w 20 " + Netns.STACK_ADDR + " 9").ok();
            assertCurlGetsExactBytes(ns, 32L << 20);
            assertThat(daemon.terminate()[0]).isZero();
            String log = daemon.log();
            assertThat(log).contains("virtio-net header, csum+tso4 offload");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("rx (\\d+) super-packets").matcher(log);
            assertThat(m.find()).as("stop line in %s", log).isTrue();
            assertThat(Long.parseLong(m.group(1))).as("TSO super-packets received").isGreaterThan(100);
        }
    }

    /** ICMP echo replies the kernel received in the namespace (its Icmp InEchoReps counter). */
    private static long echoRepliesSeen(Netns ns) {
        try {
            List<String> icmp = ns.exec(10, "cat", "/proc/net/snmp").ok().out().lines()
                    .filter(l -> l.startsWith("Icmp: ")).toList();
            List<String> names = Arrays.asList(icmp.get(0).split(" "));
            return Long.parseLong(icmp.get(1).split(" ")[names.indexOf("InEchoReps")]);
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertCurlGetsExactBytes(Netns ns, long size) throws Exception {
        assertCurlGetsExactBytes(ns, size, 100);
    }

    /** curl fetches /bytes/SIZE from the daemon within {@code maxSeconds} and gets exactly the bytes it should. */
    static void assertCurlGetsExactBytes(Netns ns, long size, int maxSeconds) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[1 << 16];
        for (long off = 0; off < size; off += chunk.length) {
            DeterministicBytes.fill(off, chunk, chunk.length);
            sha.update(chunk);
        }
        Netns.Result curl = ns.sh(maxSeconds + 20, "curl -sS --fail -m " + maxSeconds + " http://" + Netns.STACK_ADDR
                + "/bytes/" + size + " | sha256sum").ok();
        assertThat(curl.out().split(" ")[0]).isEqualTo(HexFormat.of().formatHex(sha.digest()));
    }

    /**
     * SIGTERM while a ping flood keeps every reader busy (and, with busy polling, never asleep in
     * poll): the daemon exits 0 long before the flood would end (20 s); the exit time is printed,
     * the bound is the drain timeout, far above it.
     */
    @ParameterizedTest(name = "busy-poll {0} us")
    @ValueSource(strings = {"0", "1000"})
    void sigtermUnderPingFloodExitsZeroPromptlyAndLeavesTheDevice(String busyPoll) throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--queues", "2", "--busy-poll", busyPoll);
            Process flood = ns.start(dir.resolve("flood.out"), dir.resolve("flood.err"),
                    "ping", "-n", "-f", "-c", "200000", "-w", "20", Netns.STACK_ADDR);
            await(30, "1000 echo replies from the stack", () -> echoRepliesSeen(ns) >= 1000);
            assertThat(flood.isAlive()).as("flood still running").isTrue();

            long[] exit = daemon.terminate();
            System.out.println("SIGTERM under ping flood, busy-poll " + busyPoll + " us: exit status " + exit[0]
                    + " after " + exit[1] + " ms");

            assertThat(exit[0]).as("exit status").isZero();
            assertThat(exit[1]).as("exit time (ms), against the 5 s drain timeout and the flood's 20 s").isLessThan(5000);
            assertThat(daemon.log()).contains("detached 2 queue(s) from tun0");
            Netns.Result link = ns.exec(10, "ip", "-o", "link", "show", Netns.DEVICE).ok();
            assertThat(link.out()).as("the device the test created is still there").contains("tun0");
            flood.destroy();
        }
    }
}
