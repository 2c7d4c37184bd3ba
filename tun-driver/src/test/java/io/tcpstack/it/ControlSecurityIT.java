package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.control.RawControlClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket of a running daemon against users it must refuse and clients that misbehave:
 * nobody outside the control group, garbage, a 1 MiB line, half-open clients, 100 at once.
 */
@Tag("netns")
class ControlSecurityIT {
    /** The control group of these tests: a gid no user on the machine has. */
    private static final String GROUP = "4242";
    private static final List<String> NOBODY = List.of("--reuid=65534", "--regid=65534", "--clear-groups");

    @TempDir
    Path dir;

    private DaemonProcess start(Netns ns) throws Exception {
        // the temporary directory is 0700: let other users reach the socket, so its own mode decides
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return DaemonProcess.start(ns, dir, "--control-group", GROUP, "--pcap-dir", dir.resolve("pcaps").toString());
    }

    @Test
    void onlyRootAndTheControlGroupGetIn() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = start(ns);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.control))).isEqualTo("rw-rw----");
            assertThat(Files.getAttribute(daemon.control, "unix:gid")).isEqualTo(Integer.parseInt(GROUP));

            Netns.Result outsider = daemon.ctlAs(NOBODY, "status");
            System.out.println("nobody, not in the group: exit " + outsider.exit() + ": " + outsider.err().strip());
            assertThat(outsider.exit()).isEqualTo(1);
            assertThat(outsider.err().strip()).isEqualTo("tcpstack ctl status: cannot connect to " + daemon.control
                    + ": permission denied (root and the control socket's group only)");

            Netns.Result primary = daemon.ctlAs(List.of("--reuid=65534", "--regid=" + GROUP, "--clear-groups"), "status");
            assertThat(primary.exit()).as(primary.err()).isZero();
            Netns.Result supplementary = daemon.ctlAs(List.of("--reuid=65534", "--regid=65534", "--groups=" + GROUP),
                    "set", "fin-timeout", "20s");
            assertThat(supplementary.exit()).as(supplementary.err()).isZero();
            assertThat(supplementary.out()).startsWith("fin-timeout = 20s (was 60s;");

            // with the file opened to everyone (a mistaken chmod), SO_PEERCRED still refuses
            Files.setPosixFilePermissions(daemon.control, PosixFilePermissions.fromString("rw-rw-rw-"));
            Netns.Result peercred = daemon.ctlAs(NOBODY, "set", "fin-timeout", "1s");
            System.out.println("nobody through a 0666 socket: exit " + peercred.exit() + ": " + peercred.err().strip());
            assertThat(peercred.exit()).isEqualTo(1);
            assertThat(peercred.err().strip()).isEqualTo("tcpstack ctl set: permission denied: uid 65534 is not root and"
                    + " not in the control socket's group (gid " + GROUP + ")");
            assertThat(daemon.log()).containsPattern("WARN ControlServer - control: refused pid \\d+ uid 65534 gid 65534:"
                    + " uid 65534 is not root and not in the control socket's group \\(gid 4242\\)");
            assertThat(daemon.ctl("get", "fin-timeout").ok().out()).as("the refused set changed nothing")
                    .isEqualTo("fin-timeout = 20s\n");

            // the daemon writes pcap files as root: a member of the group only gets new files in pcap-dir
            List<String> member = List.of("--reuid=65534", "--regid=" + GROUP, "--clear-groups");
            Netns.Result outside = daemon.ctlAs(member, "pcap", "start", "/etc/tcpstack-test.pcap");
            assertThat(outside.exit()).isEqualTo(1);
            assertThat(outside.err()).contains("users other than root may record only to files in " + dir.resolve("pcaps"));
            assertThat(Files.exists(Path.of("/etc/tcpstack-test.pcap"))).isFalse();
            Path mine = dir.resolve("pcaps/mine.pcap");
            assertThat(daemon.ctlAs(member, "pcap", "start", mine.toString()).ok().out()).isEqualTo("recording to " + mine + "\n");
            assertThat(daemon.ctlAs(member, "pcap", "stop", mine.toString()).ok().out()).startsWith("stopped " + mine);
            assertThat(Files.getAttribute(mine, "unix:uid")).as("the file is the asker's").isEqualTo(65534);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mine))).isEqualTo("rw-r-----");
            Netns.Result again = daemon.ctlAs(member, "pcap", "start", mine.toString());
            assertThat(again.err().strip()).isEqualTo("tcpstack ctl pcap: cannot create pcap file " + mine
                    + ": it exists already");
        }
    }

    /** The daemon closed the connection: end of stream, or a reset when it left our bytes unread (Unix sockets say so). */
    private static void assertClosed(RawControlClient c) {
        try {
            assertThat(c.line()).isNull();
        } catch (java.io.IOException e) {
            assertThat(e).hasMessage("Connection reset by peer");
        }
    }

    @Test
    void garbageHugeLinesHalfOpenAndAHundredClientsNeitherCrashNorStallTheDaemon() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = start(ns);

            byte[] garbage = new byte[64 * 1024];
            new Random(7).nextBytes(garbage);
            try (RawControlClient c = RawControlClient.connect(daemon.control)) {
                c.write(garbage);
                assertThat(c.line()).startsWith("error request ");
                assertClosed(c);
            }

            byte[] huge = new byte[1 << 20];
            Arrays.fill(huge, (byte) 'x');
            try (RawControlClient c = RawControlClient.connect(daemon.control)) {
                Thread writer = new Thread(() -> {
                    try {
                        c.write(huge);
                    } catch (java.io.IOException e) {
                        // the daemon stops reading after 4 KiB and closes: expected
                    }
                });
                writer.start();
                assertThat(c.line()).isEqualTo("error request longer than 4096 bytes");
                writer.join(10_000);
            }

            List<RawControlClient> halfOpen = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                RawControlClient c = RawControlClient.connect(daemon.control);
                c.send("conns -");
                halfOpen.add(c);
            }
            long t0 = System.nanoTime();
            assertThat(daemon.ctl("status").ok().out()).contains("uptime");
            long besideHalfOpenMs = (System.nanoTime() - t0) / 1_000_000;

            ExecutorService pool = Executors.newFixedThreadPool(100);
            List<Future<List<String>>> replies = new ArrayList<>();
            t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                String request = List.of("stats", "conns -i", "status", "get").get(i % 4);
                replies.add(pool.submit(() -> {
                    try (RawControlClient c = RawControlClient.connect(daemon.control)) {
                        return c.ok(request);
                    }
                }));
            }
            for (Future<List<String>> r : replies) {
                assertThat(r.get(30, TimeUnit.SECONDS)).isNotEmpty();
            }
            long hundredMs = (System.nanoTime() - t0) / 1_000_000;
            pool.shutdown();
            System.out.println("control socket under abuse: a ctl status beside 50 half-open clients took "
                    + besideHalfOpenMs + " ms (JVM start included); 100 concurrent clients all answered in " + hundredMs
                    + " ms");
            assertThat(hundredMs).isLessThan(10_000);

            Netns.Result ping = ns.exec(30, "ping", "-n", "-c", "5", "-i", "0.05", "-W", "2", Netns.STACK_ADDR).ok();
            assertThat(ping.out()).contains("5 received");
            assertThat(daemon.process.isAlive()).isTrue();
            for (RawControlClient c : halfOpen) {
                c.close();
            }
            assertThat(daemon.terminate()[0]).isZero();
            assertThat(daemon.log()).doesNotContain("ERROR").doesNotContain("Exception");
        }
    }
}
