package io.tcpstack.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.config.Config;
import io.tcpstack.config.HostKnobs;
import io.tcpstack.daemon.TraceHub;
import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.link.PcapLink;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.StackStats;
import io.tcpstack.testing.CaptureLink;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import jnr.unixsocket.UnixSocketChannel;

/**
 * Fuzz test of the control protocol as the daemon reads it: bytes from a client (not root, so
 * pcap files stay in pcap-dir) are cut into request lines, each is answered, and every answer is
 * framed as the protocol says: {@code ok N} and N lines, or one {@code error} line; a request the
 * framing refuses ends the connection with an error; nothing throws. Requests that turn the
 * connection into a stream or a relay (trace start, connect, listen) are left to ControlIT.
 */
class ControlProtocolFuzzTest {
    private static final Set<String> STREAMS = Set.of("trace", "connect", "listen");
    private static final Peer MEMBER = new Peer(4711, 65534, 65534);

    /** One stack for every input (making one costs more than an input); its knobs are reset after each. */
    private static TcpStack stack;
    private static PcapLink pcap;
    private static FaultInjectingLink faults;
    private static Path pcaps;

    private static synchronized TcpStack stack() throws IOException {
        if (stack == null) {
            pcaps = Files.createTempDirectory("tcpstack-fuzz-pcaps");
            pcap = new PcapLink(new CaptureLink(1, 1500));
            VirtualClock clock = new VirtualClock();
            Tracer tracer = new Tracer();
            StackStats stats = new StackStats();
            faults = new FaultInjectingLink(pcap, List.of(IpAddress.parse("198.18.0.2")), clock, tracer, stats);
            stack = new TcpStack(StackConfig.builder().address("198.18.0.2").build(), faults, clock,
                    new TcpSettings(), tracer, stats);
            stack.start();
        }
        return stack;
    }

    @FuzzTest(maxDuration = "30s")
    void requests(byte[] input) throws Exception {
        TcpStack stack = stack();
        UnixSocketChannel[] pair = UnixSocketChannel.pair();
        try {
            Config config = Config.resolve(HostKnobs.forDaemon(), null, Map.of(HostKnobs.PCAP_DIR, pcaps.toString()));
            ControlCommands commands = new ControlCommands(stack, pcap, faults, () -> "dev=fuzz", config,
                    new TraceHub(stack.tracer()));
            ControlConnection daemonSide = new ControlConnection(pair[0], MEMBER);
            daemonSide.setTimeout(1000);
            UnixSocketChannel client = pair[1];
            client.write(ByteBuffer.wrap(input, 0, Math.min(input.length, 1 << 14)));
            client.shutdownOutput();
            client.configureBlocking(false);
            Replies replies = new Replies(client);
            for (int requests = 0; requests < 64; requests++) {
                String line;
                try {
                    line = daemonSide.readLine();
                } catch (ControlConnection.BadRequest e) {
                    daemonSide.error(e.getMessage());
                    replies.expectOneError();
                    break;
                }
                if (line == null) {
                    break;
                }
                assertThat(line.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ControlConnection.MAX_REQUEST);
                assertThat(line.chars()).noneMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f);
                String[] words = line.trim().split("\\s+");
                if (STREAMS.contains(words[0]) && !(words[0].equals("trace") && words.length > 1
                        && words[1].equals("stop"))) {
                    continue;
                }
                assertThat(commands.handle(daemonSide, line)).as("the connection stays usable after '%s'", line).isTrue();
                replies.expectOneReply(line);
            }
        } finally {
            pair[0].close();
            pair[1].close();
            for (String recording : pcap.recordings().keySet()) {
                pcap.stop(recording);
            }
            try (Stream<Path> files = Files.list(pcaps)) {
                files.forEach(p -> p.toFile().delete());
            }
            for (Knob knob : KnobRegistry.LIVE) {
                knob.set(stack.settings(), knob.defaultValue());
            }
        }
    }

    /** The client's side: reads what the daemon answered and checks its framing, one reply at a time. */
    private static final class Replies {
        private final UnixSocketChannel channel;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Replies(UnixSocketChannel channel) {
            this.channel = channel;
        }

        void expectOneReply(String request) {
            String status = line();
            if (status.startsWith("error ")) {
                return;
            }
            assertThat(status).as("status line answering '%s'", request).matches("ok \\d+");
            int n = Integer.parseInt(status.substring(3));
            for (int i = 0; i < n; i++) {
                line();
            }
            assertThat(pending.size()).as("nothing after the %d lines of '%s'", n, request).isZero();
        }

        void expectOneError() {
            assertThat(line()).startsWith("error ");
        }

        /** The next line the daemon sent (written already: the daemon's side does not buffer). */
        private String line() {
            read();
            byte[] bytes = pending.toByteArray();
            int end = 0;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            if (end == bytes.length) {
                fail("an incomplete reply: '" + new String(bytes, StandardCharsets.UTF_8) + "'");
            }
            pending.reset();
            pending.write(bytes, end + 1, bytes.length - end - 1);
            return new String(bytes, 0, end, StandardCharsets.UTF_8);
        }

        private void read() {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            try {
                while (channel.read(buffer.clear()) > 0) {
                    pending.write(buffer.array(), 0, buffer.position());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
