package io.tcpstack.ip;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.testing.CaptureLink;
import io.tcpstack.testing.FuzzPackets;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Fuzz tests of IPv4 input and ICMP on a stack (a listener on port 80, so TCP goes on past the
 * demux): every packet is counted once, as delivered or as an IP drop; nothing throws; whatever
 * the stack sends is well-formed; only an echo request is answered, with itself.
 * {@code scripts/fuzz.sh} fuzzes them; every test run replays the committed inputs.
 */
class PacketFuzzTest {
    /**
     * What IP input drops before any transport sees the packet (a version-6 packet: IPv6 is off,
     * the harness has no IPv6 address).
     */
    private static final Set<DropReason> IP_DROPS = EnumSet.of(DropReason.IP_TOO_SHORT, DropReason.IP_VERSION,
            DropReason.IP_IHL, DropReason.IP_TOTAL_LENGTH, DropReason.IP_CSUM, DropReason.IP_FRAGMENT,
            DropReason.IP_OTHERHOST, DropReason.IP_TTL, DropReason.IP_INVALID_SOURCE, DropReason.IP_NOPROTO,
            DropReason.IPV6_DISABLED);

    /**
     * An IPv4 packet from the fuzzer. The first byte chooses repairs: bit 0 the header checksum,
     * bit 1 the TCP or ICMP checksum, bit 2 the destination (the stack's), bit 3 the version (4).
     */
    @FuzzTest(maxDuration = "30s")
    void ipv4(byte[] input) throws java.io.IOException {
        if (input.length == 0) {
            return;
        }
        int repairs = input[0];
        byte[] packet = Arrays.copyOfRange(input, 1, Math.min(input.length, 1 + 65535));
        if ((repairs & 8) != 0 && packet.length > 0) {
            packet[0] = (byte) (0x40 | (packet[0] & 0x0f));
        }
        if ((repairs & 4) != 0 && packet.length >= Ipv4View.MIN_HEADER_LENGTH) {
            Unpooled.wrappedBuffer(packet).setInt(16, PacketHarness.STACK);
        }
        if ((repairs & 2) != 0) {
            FuzzPackets.fixTransportChecksum(packet);
        }
        if ((repairs & 1) != 0) {
            FuzzPackets.fixIpv4Checksum(packet);
        }
        PacketHarness h = harness();
        StackStats stats = h.stack.stats();
        long before = stats.get(Counter.IpInDelivers) + ipDrops(stats);
        int sentBefore = h.sent.size();
        h.injectRaw(packet);
        assertThat(stats.get(Counter.IpInDelivers) + ipDrops(stats) - before).as("counted once: delivered or dropped")
                .isEqualTo(1);
        for (CaptureLink.Sent s : h.sent.subList(sentBefore, h.sent.size())) {
            FuzzPackets.assertWellFormed(s.packet(), PacketHarness.STACK);
        }
        forget(h);
    }

    private static long ipDrops(StackStats stats) {
        return IP_DROPS.stream().mapToLong(stats::get).sum();
    }

    /**
     * One stack for every input (making one costs more than the input): what an input leaves
     * (a request from a SYN) is aborted after it, and what it sent forgotten.
     */
    private static PacketHarness harness;

    private static synchronized PacketHarness harness() throws java.io.IOException {
        if (harness == null) {
            harness = new PacketHarness();
            harness.stack.listen(80, 4);
        }
        return harness;
    }

    private static void forget(PacketHarness h) {
        for (ConnectionInfo c : h.stack.connections()) {
            if (c.state() != TcpState.LISTEN) {
                h.stack.tcp().abort(c.remoteAddress(), c.remotePort(), c.localPort());
            }
        }
        h.discardUnread();
        h.sent.clear();
        h.history.clear();
    }

    /**
     * An ICMP message from the fuzzer in a good IPv4 packet to the stack; the first byte's bit 0
     * repairs the ICMP checksum.
     */
    @FuzzTest(maxDuration = "30s")
    void icmp(byte[] input) throws java.io.IOException {
        if (input.length == 0) {
            return;
        }
        byte[] message = Arrays.copyOfRange(input, 1, Math.min(input.length, 1 + 1480));
        int total = Ipv4View.MIN_HEADER_LENGTH + message.length;
        ByteBuf buf = Unpooled.buffer(total);
        buf.writerIndex(total);
        Ipv4View.writeHeader(buf, 0, total, 1, false, 64, IpProtocol.ICMP, PacketHarness.PEER, PacketHarness.STACK);
        buf.setBytes(Ipv4View.MIN_HEADER_LENGTH, message);
        byte[] packet = new byte[total];
        buf.getBytes(0, packet);
        if ((input[0] & 1) != 0) {
            FuzzPackets.fixTransportChecksum(packet);
        }
        boolean good = message.length >= 8
                && io.tcpstack.wire.Checksum.compute(Unpooled.wrappedBuffer(packet), Ipv4View.MIN_HEADER_LENGTH,
                        message.length) == 0;
        PacketHarness h = harness();
        h.injectRaw(packet);
        if (good && (message[0] & 0xff) == 8) {
            assertThat(h.sent).as("one echo reply").hasSize(1);
            byte[] reply = h.sent.get(0).packet();
            FuzzPackets.assertWellFormed(reply, PacketHarness.STACK);
            byte[] answer = Arrays.copyOfRange(reply, Ipv4View.MIN_HEADER_LENGTH, reply.length);
            assertThat(answer[0]).as("type echo reply").isZero();
            assertThat(Arrays.copyOfRange(answer, 4, answer.length)).as("identifier, sequence and data")
                    .isEqualTo(Arrays.copyOfRange(message, 4, message.length));
            assertThat(answer[1]).as("code").isEqualTo(message[1]);
        } else {
            assertThat(h.sent).as("nothing answers anything else, least of all an ICMP error").isEmpty();
        }
        forget(h);
    }
}
