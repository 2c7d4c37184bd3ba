package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.daemon.services.Services;
import io.tcpstack.profile.Affinity;
import io.tcpstack.stats.Counter;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stack (in this JVM, on a TUN device moved into a fresh namespace) against the kernel's TCP
 * as client and as server.
 */
@Tag("netns")
class TcpInteropIT {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private static String scripts() {
        return System.getProperty("tcpstack.scripts", "../scripts");
    }

    @Test
    void kernelClientEchoesSixteenMebibytesByteExact() throws Exception {
        byte[] data = new byte[16 * MIB];
        new Random(42).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        try (Netns ns = Netns.createEmpty(); TunStack tun = TunStack.create(ns, 2, s -> { });
                Services services = Services.start(tun.stack, Map.of("echo", 7))) {
            Netns.Result nc = ns.sh(120, "nc -N " + Netns.STACK_ADDR + " 7 < " + in + " | sha256sum").ok();
            assertThat(nc.out().split(" ")[0]).isEqualTo(sha256(data));
        }
    }

    @Test
    void withTunOffloadsSixteenMebibytesEchoByteExactInSuperPacketsBothWays() throws Exception {
        byte[] data = new byte[16 * MIB];
        new Random(43).nextBytes(data);
        Path in = dir.resolve("in.bin");
        Files.write(in, data);
        try (Netns ns = Netns.createEmpty(); TunStack tun = TunStack.create(ns, 1, true, s -> { });
                Services services = Services.start(tun.stack, Map.of("echo", 7))) {
            Netns.Result nc = ns.sh(120, "nc -N " + Netns.STACK_ADDR + " 7 < " + in + " | sha256sum").ok();
            assertThat(nc.out().split(" ")[0]).isEqualTo(sha256(data));
            assertThat(tun.device.rxSuperPackets()).as("TSO super-packets from the kernel").isPositive();
            assertThat(tun.device.rxUnsupported()).isZero();
            assertThat(tun.device.txPackets() * 1448L).as("fewer writes than MSS segments: TSO out").isLessThan(data.length);
        }
    }

    @Test
    void twoHundredSequentialConnectionsLeaveTheActiveCloserInTimeWait() throws Exception {
        // flow affinity: without it, reordering makes some closes race (FinAckRaceIT's subject)
        try (Netns ns = Netns.createEmpty(); TunStack tun = TunStack.create(ns, 2, s -> s.affinity = Affinity.FLOW);
                Services services = Services.start(tun.stack, Map.of("http", 80, "echo", 7))) {
            // HTTP with Connection: close: the stack closes first, so the stack holds TIME_WAIT
            Netns.Result http = ns.exec(120, "python3", scripts() + "/interop/short_conns.py", "http",
                    "--connect", Netns.STACK_ADDR, "--port", "80", "--count", "200").ok();
            assertThat(http.out()).contains("ok=200 failed=0");
            waitUntil(() -> enteredTimeWait(tun, 80) == 200, () -> tun.stack.connections()
                    .stream().filter(c -> c.localPort() == 80 && c.state() != TcpState.TIME_WAIT).map(c -> c.ssLine())
                    .toList() + " " + tun.stack.stats().counters());
            assertThat(ns.exec(10, "ss", "-Htan", "state", "time-wait").ok().out()).doesNotContain(":80");

            // echo: the kernel client closes first, so the kernel holds TIME_WAIT and we keep nothing
            Netns.Result echo = ns.exec(120, "python3", scripts() + "/interop/short_conns.py", "echo",
                    "--connect", Netns.STACK_ADDR, "--port", "7", "--count", "200").ok();
            assertThat(echo.out()).contains("ok=200 failed=0");
            String kernelTimeWait = ns.exec(10, "ss", "-Htan", "state", "time-wait", "dst", Netns.STACK_ADDR + ":7")
                    .ok().out();
            assertThat(kernelTimeWait.lines().count()).isEqualTo(200);
            waitUntilNoConnectionOn(tun, 7);
        }
    }

    @Test
    void stackClientSendsSixteenMebibytesToAKernelEchoServerAndReadsThemBack() throws Exception {
        byte[] data = new byte[16 * MIB];
        new Random(7).nextBytes(data);
        try (Netns ns = Netns.createEmpty(); TunStack tun = TunStack.create(ns, 2, s -> s.affinity = Affinity.FLOW)) {
            ns.start(dir.resolve("server.out"), dir.resolve("server.err"), "python3",
                    scripts() + "/interop/echo_server.py", "--bind", Netns.KERNEL_ADDR, "--port", "5007", "--count", "1");
            waitForFile(dir.resolve("server.out"), "listening");

            TcpSocket socket = tun.stack.connect(Netns.KERNEL_ADDR, 5007, 0, 5000);
            socket.setSoTimeout(30_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int off = 0; off < data.length; off += 64 * 1024) {
                        out.write(data, off, 64 * 1024);
                    }
                    socket.shutdownOutput();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] back = socket.getInputStream().readAllBytes();
            writer.get(30, TimeUnit.SECONDS);
            socket.close();

            assertThat(back.length).isEqualTo(data.length);
            assertThat(sha256(back)).isEqualTo(sha256(data));
            assertThat(Files.readString(dir.resolve("server.out"))).contains("echoed " + data.length + " bytes");
            // we sent the first FIN, the kernel's came after its echo: we are the active closer
            int port = socket.localPort();
            waitUntil(() -> enteredTimeWait(tun, port) == 1,
                    () -> tun.stack.connections().toString());
            assertThat(ns.exec(10, "ss", "-Htan", "sport", "= :5007").ok().out()).doesNotContain("ESTAB");
        }
    }

    /**
     * Connections on {@code port} in TIME_WAIT, plus the TIME_WAIT records an RST killed
     * (TcpExtTWKilled, RFC 1337 hazard; Linux kills them too): with two TUN queues the kernel may
     * send a flow's first packets on one queue and the rest on another, so a handshake ACK can
     * reach the stack after the close; the record ACKs it as a duplicate (as Linux's does), the
     * kernel, its socket gone, answers with an RST, and the record dies early. It was in TIME_WAIT.
     */
    private static long enteredTimeWait(TunStack tun, int port) {
        return count(tun.stack.connections(), TcpState.TIME_WAIT, port) + tun.stack.stats().get(Counter.TcpExtTWKilled);
    }

    private static long count(List<ConnectionInfo> conns, TcpState state, int port) {
        return conns.stream().filter(c -> c.state() == state && c.localPort() == port).count();
    }

    private static void waitUntilNoConnectionOn(TunStack tun, int port) throws InterruptedException {
        waitUntil(() -> tun.stack.connections().stream()
                .noneMatch(c -> c.localPort() == port && c.state() != TcpState.LISTEN), () -> "");
    }

    /**
     * Waits up to 30 s (a lost segment costs a retransmission timeout or two, a loaded machine
     * more); says what is left if not.
     */
    private static void waitUntil(BooleanSupplier condition, Supplier<String> whatIsLeft) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("condition not met within 30 s; left: " + whatIsLeft.get());
            }
            Thread.sleep(20);
        }
    }

    private static void waitForFile(Path file, String text) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.exists(file) || !Files.readString(file).contains(text)) {
            assertThat(System.currentTimeMillis()).as("'" + text + "' in " + file).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

}
