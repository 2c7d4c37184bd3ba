package io.tcpstack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.BufferSizes;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.testing.CaptureLink;
import io.tcpstack.testing.FuzzPackets;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.wire.TcpOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzz test of SEGMENT ARRIVES on a stack on virtual time: a listener (backlog 2, so SYN cookies
 * come into play), a scripted peer that may complete handshakes, and then whatever the fuzzer
 * chooses: segments aimed near the connections' sequence numbers or anywhere, with well-formed
 * or raw options; time passing; the application reading, writing, closing, aborting, opening.
 * After every step: nothing has thrown, every connection keeps snd.una <= snd.nxt,
 * its buffers within their capacity (out-of-order data included), and no ring larger than its
 * capacity; whatever the stack sent is well-formed.
 */
class SegmentArrivalFuzzTest {
    private static final int LISTEN_PORT = 80;
    private static final int PEER_PORTS = 4;
    private static final int FIRST_PEER_PORT = 40000;

    @FuzzTest(maxDuration = "30s")
    void segments(FuzzedDataProvider data) {
        TcpSettings settings = new TcpSettings();
        settings.timestamps = data.consumeBoolean();
        settings.sack = data.consumeBoolean();
        settings.windowScaling = data.consumeBoolean();
        int rmem = data.consumeInt(4096, 1 << 18);
        settings.rmem = new BufferSizes(4096, data.consumeInt(4096, rmem), rmem);
        int wmem = data.consumeInt(4096, 1 << 18);
        settings.wmem = new BufferSizes(4096, data.consumeInt(4096, wmem), wmem);
        settings.syncookies = data.consumeInt(0, 2);
        try (PacketHarness h = new PacketHarness(settings, 1)) {
            new Run(h, data, h.stack.listen(LISTEN_PORT, 2)).go();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static final class Run {
        private final PacketHarness h;
        private final FuzzedDataProvider data;
        private final TcpServerSocket server;
        private final TcpLayer tcp;
        private final List<Connection> connections = new ArrayList<>();
        private int checkedPackets;

        Run(PacketHarness h, FuzzedDataProvider data, TcpServerSocket server) {
            this.h = h;
            this.data = data;
            this.server = server;
            this.tcp = h.stack.tcp();
        }

        void go() {
            int steps = data.consumeInt(1, 64);
            for (int i = 0; i < steps && data.remainingBytes() > 0; i++) {
                switch (data.consumeInt(0, 9)) {
                    case 0, 1, 2, 3 -> segment();
                    case 4 -> h.advance(data.consumeBoolean() ? data.consumeInt(0, 2000) : data.consumeInt(0, 300_000));
                    case 5 -> application();
                    case 6 -> handshake();
                    case 7 -> connect();
                    case 8 -> raw();
                    default -> accept();
                }
                check();
            }
        }

        /** A peer's handshake from one of its ports, answered as the stack's SYN-ACK asks. */
        private void handshake() {
            int port = FIRST_PEER_PORT + data.consumeInt(0, PEER_PORTS - 1);
            int iss = data.consumeInt();
            byte[] options = synOptions();
            inject(port, LISTEN_PORT, iss, 0, 0x02, 65535, options, new byte[0]);
            var last = h.history.isEmpty() ? null : h.history.get(h.history.size() - 1).segment();
            if (last != null && last.dstPort() == port && last.has(io.tcpstack.wire.TcpView.SYN)) {
                byte[] ts = new byte[12];
                if (last.options().tsVal() != null) {
                    TcpOptions.writeTimestamp(Unpooled.wrappedBuffer(ts), 0, iss, last.options().tsVal().intValue());
                }
                inject(port, LISTEN_PORT, iss + 1, last.seq() + 1, 0x10, 65535,
                        last.options().tsVal() != null ? ts : new byte[0], data.consumeBytes(data.consumeInt(0, 600)));
            }
        }

        private byte[] synOptions() {
            byte[] options = new byte[20];
            TcpOptions.writeSyn(Unpooled.wrappedBuffer(options), 0, data.consumeInt(1, 65535), data.consumeBoolean(),
                    data.consumeBoolean(), data.consumeInt(), 0, data.consumeBoolean() ? data.consumeInt(0, 15) : -1);
            return options;
        }

        /** A segment from a peer port to the listener or to an active open, near or far from its numbers. */
        private void segment() {
            Tcb tcb = pick();
            int peerPort = tcb != null ? tcb.remotePort : FIRST_PEER_PORT + data.consumeInt(0, PEER_PORTS - 1);
            int stackPort = tcb != null ? tcb.localPort : LISTEN_PORT;
            int seq = tcb != null && data.consumeBoolean() ? tcb.rcvNxt + data.consumeInt(-70_000, 70_000) : data.consumeInt();
            int ack = tcb != null && data.consumeBoolean() ? tcb.sndUna + data.consumeInt(-70_000, 70_000) : data.consumeInt();
            int flags = data.consumeInt(0, 0xff);
            byte[] options = switch (data.consumeInt(0, 4)) {
                case 0 -> new byte[0];
                case 1 -> timestamp(tcb);
                case 2 -> synOptions();
                case 3 -> sack(tcb);
                default -> data.consumeBytes(40);
            };
            inject(peerPort, stackPort, seq, ack, flags, data.consumeInt(0, 65535), options,
                    data.consumeBytes(data.consumeInt(0, 1500)));
        }

        private byte[] timestamp(Tcb tcb) {
            byte[] ts = new byte[12];
            int val = tcb != null && data.consumeBoolean() ? tcb.tsRecent + data.consumeInt(-5, 5) : data.consumeInt();
            int ecr = tcb != null && data.consumeBoolean() ? tcb.tsVal() - data.consumeInt(0, 1000) : data.consumeInt();
            TcpOptions.writeTimestamp(Unpooled.wrappedBuffer(ts), 0, val, ecr);
            return ts;
        }

        private byte[] sack(Tcb tcb) {
            int count = data.consumeInt(1, 4);
            int[] blocks = new int[2 * count];
            int base = tcb != null ? tcb.sndUna : data.consumeInt();
            for (int i = 0; i < 2 * count; i++) {
                blocks[i] = base + data.consumeInt(-3000, 70_000);
            }
            byte[] sack = new byte[4 + 8 * count];
            TcpOptions.writeSack(Unpooled.wrappedBuffer(sack), 0, blocks, count);
            return sack;
        }

        /** Raw bytes as an IPv4 packet, its checksums repaired if the fuzzer says so. */
        private void raw() {
            boolean repair = data.consumeBoolean();
            byte[] packet = data.consumeBytes(data.consumeInt(0, 1600));
            if (repair) {
                FuzzPackets.fixTransportChecksum(packet);
                FuzzPackets.fixIpv4Checksum(packet);
            }
            h.injectRaw(packet);
        }

        private void inject(int peerPort, int stackPort, int seq, int ack, int flags, int window, byte[] options,
                byte[] payload) {
            h.injectRaw(FuzzPackets.tcp(PacketHarness.PEER, PacketHarness.STACK, peerPort, stackPort, seq, ack, flags,
                    window, options, payload));
        }

        private void accept() {
            Connection c = server.poll();
            if (c != null) {
                connections.add(c);
            }
        }

        /** An active open to one of the peer's ports. */
        private void connect() {
            try {
                connections.add(h.stack.open(PacketHarness.PEER, 5000 + data.consumeInt(0, 3), 0));
            } catch (java.io.IOException e) {
                // no port free (EADDRNOTAVAIL): a legitimate answer
            }
        }

        /** What an application does to one of its connections. */
        private void application() {
            if (connections.isEmpty()) {
                return;
            }
            Connection c = connections.get(data.consumeInt(0, connections.size() - 1));
            try {
                switch (data.consumeInt(0, 5)) {
                    case 0 -> {
                        byte[] buf = new byte[data.consumeInt(1, 1 << 16)];
                        c.readNow(buf, 0, buf.length);
                    }
                    case 1 -> {
                        byte[] bytes = data.consumeBytes(data.consumeInt(1, 1 << 17));
                        c.writeNow(bytes, 0, bytes.length);
                    }
                    case 2 -> c.close();
                    case 3 -> c.shutdownOutput();
                    case 4 -> c.abort();
                    default -> c.setLingerZero(data.consumeBoolean());
                }
            } catch (TcpException e) {
                // reset, timed out, closed: the application is told, as it should be
            }
        }

        /** One of the stack's connections, or null. */
        private Tcb pick() {
            List<Tcb> all = new ArrayList<>();
            tcp.demux().forEach((key, tcb) -> all.add(tcb));
            if (all.isEmpty() || !data.consumeBoolean()) {
                return null;
            }
            all.sort((a, b) -> Long.compare(a.key, b.key));
            return all.get(data.consumeInt(0, all.size() - 1));
        }

        private void check() {
            tcp.demux().forEach((key, tcb) -> {
                tcb.lock.lock();
                try {
                    if (tcb.state == TcpState.CLOSED) {
                        return;
                    }
                    assertThat(SeqNum.le(tcb.sndUna, tcb.sndNxt)).as("snd.una <= snd.nxt in %s", tcb).isTrue();
                    assertThat(tcb.receiveBuffer.size()).isBetween(0, tcb.receiveBuffer.capacity());
                    assertThat(tcb.sendBuffer.size()).isBetween(0, tcb.sendBuffer.capacity());
                    // out-of-order data lives in the receive ring, past the readable bytes: it and its
                    // ranges are bounded by the buffer
                    assertThat(tcb.reassembly.bytes() + tcb.receiveBuffer.size()).as("ring's data in %s", tcb)
                            .isBetween(0, tcb.receiveBuffer.capacity());
                    assertThat(tcb.reassembly.blockCount()).isLessThanOrEqualTo(Math.max(tcb.reassembly.bytes(), 0));
                    for (ByteRing ring : new ByteRing[] {tcb.receiveBuffer, tcb.sendBuffer}) {
                        assertThat(ring.allocated()).as("memory of a ring").isLessThanOrEqualTo(
                                Math.max(ring.capacity(), 2048));
                    }
                    assertThat(tcb.sndWnd).isGreaterThanOrEqualTo(0);
                    assertThat(tcb.cong.cwnd).isGreaterThanOrEqualTo(1);
                } finally {
                    tcb.lock.unlock();
                }
            });
            assertThat(tcp.connectionCount()).as("connections: requests within the backlog, opens we made")
                    .isLessThanOrEqualTo(3 + 2 * 64);
            List<CaptureLink.Sent> sent = h.sent;
            for (; checkedPackets < sent.size(); checkedPackets++) {
                FuzzPackets.assertWellFormed(sent.get(checkedPackets).packet(), PacketHarness.STACK);
            }
        }
    }
}
