package io.tcpstack.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.profile.SynResend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The control protocol end to end, against a stack joined in memory to a peer stack. */
@Timeout(60)
class ControlServerTest {
    /** Lines `status` answers with: name, uptime, connections, traces, inbound steering, tcp memory. */
    private static final int STATUS_LINES = 6;

    @TempDir
    Path dir;

    /** How long a silent client is held: long beside a request served, short for the suite. */
    private static final long CONTROL_TIMEOUT_MS = 5000;

    private ControlFixture f;

    @BeforeEach
    void start() throws IOException {
        f = new ControlFixture(dir, CONTROL_TIMEOUT_MS);
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    void theSocketIsMode0660InTheControlGroup() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.socket))).isEqualTo("rw-rw----");
        assertThat(Files.getAttribute(f.socket, "unix:gid")).isEqualTo(io.tcpstack.config.Groups.ownGid());
    }

    @Test
    void connsShowsTheConnectionLikeSsTanAndDetailsLikeSsTi() throws Exception {
        try (TcpSocket s = f.peer.connect("198.18.0.2", 7, 40000, 10_000); RawControlClient c = f.client()) {
            f.awaitEstablished(40000);
            List<String> conns = c.ok("conns");
            assertThat(conns.get(0)).isEqualTo(SsFormat.HEADER);
            assertThat(conns).anyMatch(l -> l.matches("LISTEN +[01] +128 +198\\.18\\.0\\.2:7 +0\\.0\\.0\\.0:\\*"))
                    .anyMatch(l -> l.matches("ESTAB +0 +0 +198\\.18\\.0\\.2:7 +198\\.18\\.0\\.1:40000"));
            List<String> details = c.ok("conns -i :40000");
            assertThat(details).hasSize(3);
            assertThat(details.get(2)).startsWith("\tts sack cubic ca_state:open wscale:10,10 rto:").contains(" rtt:")
                    .containsPattern(" cwnd:\\d+ ").contains(" mss:1448").contains(" advmss:1460")
                    .contains(" reordering:3").doesNotContain(" retrans:");
            assertThat(c.ok("conns 198.18.0.1:1")).containsExactly(SsFormat.HEADER);
        }
    }

    @Test
    void statsCountsWithNstatNamesDeltasPerUserAndJson() throws Exception {
        try (RawControlClient c = f.client()) {
            c.ok("stats -d");
            try (TcpSocket s = f.peer.connect("198.18.0.2", 7, 40004, 10_000)) {
                f.awaitEstablished(40004);
                List<String> stats = c.ok("stats");
                assertThat(stats.get(0)).isEqualTo("#tcpstack");
                assertThat(stats).anyMatch(l -> l.matches("TcpPassiveOpens +1")).anyMatch(l -> l.matches("TcpCurrEstab +1"))
                        .noneMatch(l -> l.matches("\\w+ +0"));
                assertThat(c.ok("stats -z")).anyMatch(l -> l.matches("TcpActiveOpens +0"));
                List<String> delta = c.ok("stats -d");
                assertThat(delta.get(0)).startsWith("#tcpstack deltas over ");
                assertThat(delta).anyMatch(l -> l.matches("TcpPassiveOpens +1"));
                assertThat(c.ok("stats -d")).as("nothing new since the last -d").noneMatch(l -> l.startsWith("TcpPassiveOpens"));
                String json = c.ok("stats --json").get(0);
                assertThat(json).startsWith("{\"tcpstack\":{").contains("\"TcpPassiveOpens\":1").contains("\"drops\":{");
            }
        }
    }

    @Test
    void setChangesALiveKnobAndSaysWhatChanged() throws Exception {
        try (RawControlClient c = f.client()) {
            assertThat(c.ok("get syn-resend")).containsExactly("syn-resend = timeout-min");
            assertThat(c.ok("set syn-resend rto-init")).containsExactly(
                    "syn-resend = rto-init (was timeout-min; applies to the next unacceptable ACK in SYN-SENT)");
            assertThat(f.stack.settings().synResend).isEqualTo(SynResend.RTO_INIT);
            assertThat(c.ok("set tcp_fin_timeout 5")).containsExactly(
                    "fin-timeout = 5s (was 60s; applies to connections entering FIN_WAIT_2 from now on)");
            assertThat(c.ok("set port-range 40000 40010")).hasSize(1);
            assertThat(f.stack.settings().portRangeHigh).isEqualTo(40010);
            assertThat(c.ok("profile linux-4.9")).contains("tw-recycle = 1 (was 0; applies to connections entering"
                    + " TIME_WAIT from now on)");
            assertThat(c.ok("profile")).containsExactly("profile = linux-4.9 (modified: fin-timeout=5s,"
                    + " port-range=40000-40010)");
            assertThat(c.ok("set affinity spray")).containsExactly(
                    "affinity = spray (was none; applies to the next inbound packet)",
                    "inbound steering: the queue the sender wrote on");
            assertThat(c.ok("status").get(4)).matches("inbound steering: the queue the sender wrote on; packets per"
                    + " queue: [0-9]+ [0-9]+");
            assertThat(c.ok("status").get(5)).matches("tcp memory [0-9]+ pages of [0-9]+ \\(tcp-mem [0-9]+ [0-9]+ [0-9]+\\);"
                    + " orphans 0; time-wait records [0-9]+");
            assertThat(c.request("set fin-timeout soon").get(0)).startsWith("error fin-timeout: must be a duration");
            assertThat(c.request("set fault none")).containsExactly(
                    "error fault rules change with fault add|list|clear while the daemon runs");
            assertThat(c.request("set queues 4")).containsExactly(
                    "error queues takes effect at start: set it in the config file or as --queues and restart");
            assertThat(c.request("get no-such-knob")).containsExactly("error unknown knob 'no-such-knob' (get lists them)");
            assertThat(c.ok("get")).hasSize(io.tcpstack.config.HostKnobs.forDaemon().size())
                    .contains("queues = 2 (at start)");
        }
    }

    @Test
    void killResetsTheConnectionAndThePeerSeesTheReset() throws Exception {
        try (TcpSocket s = f.peer.connect("198.18.0.2", 7, 40001, 10_000); RawControlClient c = f.client()) {
            f.awaitEstablished(40001);
            List<String> killed = c.ok("kill 198.18.0.1:40001");
            assertThat(killed).hasSize(2);
            assertThat(killed.get(1)).matches("ESTAB +0 +0 +198\\.18\\.0\\.2:7 +198\\.18\\.0\\.1:40001");
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(TcpException.class)
                    .satisfies(e -> assertThat(((TcpException) e).error()).isEqualTo(TcpError.CONNECTION_RESET));
            assertThat(c.request("kill")).containsExactly(
                    "error kill needs ENDPOINT [ENDPOINT] (it will not reset every connection)");
            assertThat(c.request("kill 198.18.0.1:40001")).containsExactly("error no connection matches 198.18.0.1:40001");
            assertThat(c.request("kill 198.18.0.1:99999").get(0)).startsWith("error endpoint '198.18.0.1:99999' must be");
        }
    }

    @Test
    void faultRulesAreAddedListedAndClearedWhileTheStackRunsEachTouchingOnlyItsPort() throws Exception {
        try (RawControlClient c = f.client()) {
            assertThat(c.ok("fault list")).containsExactly("no fault rules");
            assertThat(c.ok("fault add in :40011 data drop once")).containsExactly("fault 1: in :40011 data drop once");
            assertThat(c.ok("fault add out :40012 data duplicate")).containsExactly("fault 2: out :40012 data duplicate");
            for (int port : new int[] {40011, 40012, 40013}) {
                try (TcpSocket s = f.peer.connect("198.18.0.2", 7, port, 2000)) {
                    s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                    assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII))
                            .as("echoed byte-exact through the fault on port %d", port).isEqualTo("ping");
                }
            }
            assertThat(c.ok("fault list")).containsExactly("1 in :40011 data drop once (matched 2, dropped 1)",
                    "2 out :40012 data duplicate (matched 1, duplicated 1)");
            List<String> stats = c.ok("stats");
            assertThat(stats).anyMatch(l -> l.matches("FAULT_INJECTED +1")).anyMatch(l -> l.matches("TcpExtFaultDuplicated +1"));
            assertThat(c.ok("fault clear 1")).containsExactly("cleared fault 1: in :40011 data drop once (matched 2,"
                    + " dropped 1)");
            assertThat(c.request("fault clear 1")).containsExactly("error no fault rule 1 (fault list shows them)");
            assertThat(c.request("fault add out ack data drop")).containsExactly("error fault rule 'out ack data drop'"
                    + " never matches: 'data' and 'ack' or 'empty' contradict each other (a segment has data or has none)");
            assertThat(c.request("fault add out 10.0.0.1:1 10.0.0.2:2 drop").get(0))
                    .endsWith("never matches: neither endpoint is the stack's address 198.18.0.2");
            assertThat(c.ok("fault clear")).hasSize(1);
            assertThat(c.ok("fault list")).containsExactly("no fault rules");
        }
    }

    @Test
    void theProfileSaysWhatWasChangedSinceItWasApplied() throws Exception {
        try (RawControlClient c = f.client()) {
            assertThat(c.ok("profile")).containsExactly("profile = linux-5.6");
            c.ok("set sack 0");
            c.ok("set tcp_timestamps 0");
            assertThat(c.ok("profile")).containsExactly("profile = linux-5.6 (modified: timestamps=0, sack=0)");
            assertThat(c.ok("profile linux-4.9")).contains("ts-hz = 250 (was 1000; applies to connections opened from now"
                    + " on)", "init-rwnd = 20 (was 0; applies to connections opened from now on)");
            assertThat(c.ok("profile")).containsExactly("profile = linux-4.9 (modified: timestamps=0, sack=0)");
        }
    }

    @Test
    void traceStreamsTheFilteredConnectionsEventsUntilTraceStop() throws Exception {
        try (RawControlClient tracer = f.client(); RawControlClient other = f.client()) {
            tracer.send("trace start :40002\n");
            assertThat(tracer.line()).isEqualTo("stream *:40002");
            try (TcpSocket unrelated = f.peer.connect("198.18.0.2", 7, 40003, 10_000);
                    TcpSocket s = f.peer.connect("198.18.0.2", 7, 40002, 10_000)) {
                s.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
                assertThat(s.getInputStream().read()).isEqualTo('x');
            }
            List<String> events = new ArrayList<>();
            String line;
            while ((line = tracer.line()) != null) {
                events.add(line);
                if (line.contains("SEGMENT_OUT") && line.contains(" len=1 ")) {
                    break; // the echo went out: the handshake is over
                }
            }
            assertThat(events).anyMatch(l -> l.contains("SEGMENT_IN  198.18.0.2:7 198.18.0.1:40002 S seq=") && l.endsWith("-> LISTEN"))
                    .anyMatch(l -> l.contains("STATE       198.18.0.2:7 198.18.0.1:40002 SYN-RECV -> ESTAB"))
                    .noneMatch(l -> l.contains(":40003"));
            assertThat(other.ok("trace stop")).containsExactly("stopped 1 trace stream(s)");
            String end;
            do {
                end = tracer.line();
            } while (end != null && !end.startsWith("end "));
            assertThat(end).startsWith("end stopped by trace stop (pid ");
        }
    }

    @Test
    void aTraceClientThatLeavesWhileNothingHappensStopsItsTrace() throws Exception {
        try (RawControlClient tracer = f.client(); RawControlClient other = f.client()) {
            tracer.send("trace start\n");
            assertThat(tracer.line()).isEqualTo("stream all");
            assertThat(f.stack.tracer().enabled()).isTrue();
            tracer.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (f.stack.tracer().enabled() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(f.stack.tracer().enabled()).as("no listener left: tracing costs nothing again").isFalse();
            assertThat(other.ok("status").get(3)).startsWith("trace streams 0 ");
        }
    }

    @Test
    void pcapRecordsWhileRunningAndRefusesWhatItCannotDo() throws Exception {
        Path file = dir.resolve("run.pcap");
        try (RawControlClient c = f.client()) {
            assertThat(c.ok("pcap start " + file)).containsExactly("recording to " + file);
            assertThat(c.request("pcap start " + file)).containsExactly("error " + file + " is being recorded already");
            try (TcpSocket s = f.peer.connect("198.18.0.2", 7, 0, 10_000)) {
                s.getOutputStream().write(1);
                assertThat(s.getInputStream().read()).isEqualTo(1);
            }
            assertThat(c.ok("pcap")).singleElement().asString().startsWith(file + " ");
            assertThat(c.ok("pcap stop " + file).get(0)).startsWith("stopped " + file + " after ");
            assertThat(Files.size(file)).as("header and at least 4 packets").isGreaterThan(24 + 4 * 56);
            assertThat(c.request("pcap stop " + file)).containsExactly("error " + file + " is not being recorded");
            assertThat(c.request("pcap start relative.pcap")).containsExactly(
                    "error pcap FILE must be an absolute path, got 'relative.pcap'");
            assertThat(c.request("pcap start " + dir.resolve("no/such/dir.pcap")).get(0))
                    .isEqualTo("error cannot create pcap file " + dir.resolve("no/such/dir.pcap") + ": no such directory");
        }
    }

    @Test
    void connectRelaysBytesBothWaysAndTheClientsEndIsAFin() throws Exception {
        try (RawControlClient c = f.client()) {
            c.send("connect 198.18.0.1 7 41000 2000\nhello");
            String status = c.line();
            assertThat(status).matches("relay 198\\.18\\.0\\.2:41000 198\\.18\\.0\\.1:7 connected in [0-9.]+ ms \\(from our"
                    + " SYN to its SYN-ACK, on the stack's clock\\)");
            assertThat(c.readRaw(5)).isEqualTo("hello");
            c.channel.shutdownOutput();
            assertThat(c.line()).as("the peer's echo service closes after our FIN: end of stream").isNull();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (f.commands.relayCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(f.commands.relayCount()).as("the relay is gone once both sides closed").isZero();
    }

    @Test
    void connectToAClosedPortIsAnErrorReply() throws Exception {
        try (RawControlClient c = f.client()) {
            assertThat(c.request("connect 198.18.0.1 5999")).containsExactly(
                    "error connect to 198.18.0.1:5999: connection refused");
            assertThat(c.request("connect 198.18.0.1 0").get(0)).isEqualTo("error PORT must be 1..65535, got '0'");
            assertThat(c.ok("status")).as("the connection is still usable").hasSize(STATUS_LINES);
        }
    }

    @Test
    void listenAcceptsOnePeerAndRelaysIt() throws Exception {
        try (RawControlClient c = f.client()) {
            c.send("listen 8080 5000\n");
            assertThat(c.line()).isEqualTo("listening 198.18.0.2:8080");
            try (TcpSocket s = f.peer.connect("198.18.0.2", 8080, 42000, 10_000)) {
                assertThat(c.line()).matches("relay 198\\.18\\.0\\.2:8080 198\\.18\\.0\\.1:42000 accepted in [0-9.]+ ms .*");
                s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                assertThat(c.readRaw(4)).isEqualTo("ping");
                c.send("pong");
                byte[] got = s.getInputStream().readNBytes(4);
                assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("pong");
            }
        }
        try (RawControlClient c = f.client()) {
            c.send("listen 8082 300\n");
            assertThat(c.line()).isEqualTo("listening 198.18.0.2:8082");
            assertThat(c.line()).isEqualTo("error listen on port 8082: accept timed out after 300 ms");
        }
        try (RawControlClient c = f.client()) {
            c.send("listen 8081 5000\n");
            assertThat(c.line()).isEqualTo("listening 198.18.0.2:8081");
        }
        // the client left before a peer came: the port is free again
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (f.stack.connections().stream().anyMatch(i -> i.localPort() == 8081) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        try (TcpServerSocket again = f.stack.listen(8081, 1)) {
            assertThat(again.port()).isEqualTo(8081);
        }
        assertThat(f.commands.relayCount()).as("no relay left behind by listens that found no peer").isZero();
    }

    // ---- robustness

    @Test
    void garbageGetsAnErrorAndTheConnectionIsClosed() throws Exception {
        byte[] garbage = new byte[4000];
        new Random(1).nextBytes(garbage);
        garbage[garbage.length - 1] = '\n';
        for (int i = 0; i < garbage.length - 1; i++) {
            if (garbage[i] == '\n') {
                garbage[i] = 0;
            }
        }
        try (RawControlClient c = f.client()) {
            c.write(garbage);
            assertThat(c.line()).isIn("error request is not UTF-8 text", "error request contains control characters");
            assertThat(c.line()).isNull();
        }
        try (RawControlClient c = f.client()) {
            assertThat(c.request("frobnicate now")).containsExactly("error unknown command 'frobnicate' (help lists the commands)");
            assertThat(c.ok("help")).hasSize(ControlCommands.HELP.size());
        }
    }

    @Test
    void aMebibyteLineIsRefusedWithoutReadingItAll() throws Exception {
        try (RawControlClient c = f.client()) {
            byte[] line = new byte[1 << 20];
            java.util.Arrays.fill(line, (byte) 'a');
            Thread writer = new Thread(() -> {
                try {
                    c.write(line);
                } catch (IOException e) {
                    // the daemon closed the connection after its error: expected
                }
            });
            writer.start();
            assertThat(c.line()).isEqualTo("error request longer than 4096 bytes");
            writer.join(5000);
        }
        try (RawControlClient c = f.client()) {
            assertThat(c.ok("status")).hasSize(STATUS_LINES);
        }
    }

    @Test
    void halfOpenAndSilentClientsNeitherStallOthersNorStayForever() throws Exception {
        List<RawControlClient> silent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            RawControlClient c = f.client();
            c.send(i % 2 == 0 ? "sta" : ""); // half a request, or nothing
            silent.add(c);
        }
        awaitClients(50);
        try (RawControlClient c = f.client()) {
            assertThat(c.ok("status")).hasSize(STATUS_LINES);
        }
        assertThat(f.server.clientCount()).as("served while the 50 silent clients were still held").isGreaterThanOrEqualTo(50);
        for (RawControlClient c : silent) {
            assertThat(c.line()).as("closed after the control timeout").isNull();
            c.close();
        }
    }

    @Test
    void aClientThatDoesNotReadItsRepliesHoldsOnlyItself() throws Exception {
        try (RawControlClient slow = f.client()) {
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < 20_000; i++) {
                requests.append("help\n");
            }
            Thread writer = new Thread(() -> {
                try {
                    slow.send(requests.toString());
                } catch (IOException e) {
                    // closed by the daemon once its replies went unread for the control timeout
                }
            });
            writer.setDaemon(true);
            writer.start();
            awaitClients(1);
            try (RawControlClient c = f.client()) {
                assertThat(c.ok("status")).hasSize(STATUS_LINES);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (f.server.clientCount() > 1 && System.nanoTime() < deadline) {
                Thread.sleep(5); // the served client's slot comes back when its thread sees the close
            }
            assertThat(f.server.clientCount()).as("served while the slow client was still held").isEqualTo(1);
            writer.join(30_000);
            assertThat(writer.isAlive()).as("the daemon gave up on the slow client").isFalse();
        }
    }

    private void awaitClients(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (f.server.clientCount() < n) {
            assertThat(System.nanoTime()).as("%d clients admitted", n).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void aHundredConcurrentClientsAreAllServed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(100);
        try {
            List<Future<List<String>>> replies = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                replies.add(pool.submit(() -> {
                    try (RawControlClient c = f.client()) {
                        return c.ok(List.of("stats", "conns", "status", "get fin-timeout").get((int) (Thread.currentThread().getId() % 4)));
                    }
                }));
            }
            for (Future<List<String>> r : replies) {
                assertThat(r.get(20, TimeUnit.SECONDS)).isNotEmpty();
            }
            System.out.printf("100 concurrent control clients served in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void pastTheClientLimitNewClientsAreToldAndTheDaemonRecovers() throws Exception {
        // 256 clients take seconds to open on a loaded machine: the first must not time out meanwhile
        f.close();
        f = new ControlFixture(dir, 120_000);
        List<RawControlClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < ControlServer.MAX_CLIENTS; i++) {
                RawControlClient c = f.client();
                c.ok("status"); // served: holds a slot
                held.add(c);
            }
            try (RawControlClient extra = f.client()) {
                assertThat(extra.line()).isEqualTo("error busy: " + ControlServer.MAX_CLIENTS + " clients are connected already");
            }
        } finally {
            for (RawControlClient c : held) {
                c.close();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> reply;
        do {
            try (RawControlClient c = f.client()) {
                reply = c.request("status");
            }
        } while (!reply.get(0).startsWith("ok") && System.nanoTime() < deadline);
        assertThat(reply.get(0)).isEqualTo("ok " + STATUS_LINES);
    }

    @Test
    void aSecondServerOnTheSamePathIsRefusedAndAStaleSocketIsReplaced() throws Exception {
        PeerPolicy policy = new PeerPolicy(0, 0, pid -> java.util.Set.of());
        assertThatThrownBy(() -> ControlServer.start(f.socket, policy, 1000, f.commands))
                .hasMessageContaining("is in use by a running daemon");
        Path file = dir.resolve("plain-file");
        Files.writeString(file, "not a socket");
        assertThatThrownBy(() -> ControlServer.start(file, policy, 1000, f.commands))
                .hasMessageContaining("exists and is not a socket");
        Path stale = dir.resolve("stale.sock");
        jnr.unixsocket.UnixServerSocketChannel left = jnr.unixsocket.UnixServerSocketChannel.open();
        left.socket().bind(new jnr.unixsocket.UnixSocketAddress(stale.toFile()));
        left.close(); // the file stays, nobody answers: what a killed daemon leaves
        try (ControlServer s = ControlServer.start(stale, policy, 1000, f.commands)) {
            assertThat(s.path()).isEqualTo(stale);
        }
        assertThat(Files.exists(stale)).as("removed on close").isFalse();
    }
}
