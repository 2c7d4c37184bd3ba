package io.tcpstack.tcp;

import static io.tcpstack.testing.TwoStacks.assertSameBytes;
import static io.tcpstack.testing.TwoStacks.listedState;
import static io.tcpstack.testing.TwoStacks.pattern;
import static io.tcpstack.testing.TwoStacks.stat;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.types.TcpState;
import io.tcpstack.link.Impairment;
import io.tcpstack.link.SimulatedNetwork;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.testing.TwoStacks;
import io.tcpstack.testing.TwoStacks.App;
import io.tcpstack.testing.TwoStacks.App.Finish;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two dual-stack hosts over IPv6 on a simulated network: a mebibyte each way on a clean path and
 * through loss, reordering and duplication, byte-exact, in 1428-byte segments (1440 less the
 * timestamps), ending in an IPv6 TIME_WAIT record that expires.
 */
class Ipv6TransferTest {
    private static final int MIB = 1 << 20;
    private static final Impairment FIVE_MS = Impairment.NONE.withLatency(Duration.ofMillis(5));

    private TwoStacks s;

    @AfterEach
    void close() {
        if (s != null) {
            s.close();
        }
    }

    /** Both ends send, end their output when done and close at end of stream; checks the bytes and the records. */
    private void bothWays(long maxVirtualMillis) throws IOException {
        TwoStacks.Pair c = s.connect(10_000);
        assertThat(c.client().remoteAddress()).isEqualTo(IpAddress.parse(TwoStacks.SERVER_ADDRESS6));
        byte[] up = pattern(MIB, 61);
        byte[] down = pattern(MIB, 62);
        App client = new App(c.client(), up, Finish.SHUTDOWN_WHEN_SENT);
        App server = new App(c.server(), down, Finish.SHUTDOWN_WHEN_SENT);
        boolean done = s.net.runUntil(() -> client.pump() & server.pump()
                && c.client().state() == TcpState.CLOSED && c.server().state() == TcpState.CLOSED, maxVirtualMillis);
        assertThat(done).as("both ways and closed within %d virtual ms", maxVirtualMillis).isTrue();
        assertSameBytes(up, server.received());
        assertSameBytes(down, client.received());
        assertThat(List.of(listedState(s.client, c.client()), listedState(s.server, c.server())))
                .contains(TcpState.TIME_WAIT);
        s.net.runForMillis(60_000);
        assertThat(listedState(s.client, c.client())).isEqualTo(TcpState.CLOSED);
        assertThat(listedState(s.server, c.server())).isEqualTo(TcpState.CLOSED);
    }

    @Test
    void a_mebibyte_each_way_on_a_clean_path_in_full_ipv6_segments() throws IOException {
        s = new TwoStacks(21, new TcpSettings(), new TcpSettings(), true);
        s.net.impair(FIVE_MS);
        List<Integer> lengths = new ArrayList<>();
        s.net.addObserver((event, now, packet) -> {
            if (event == SimulatedNetwork.PacketEvent.SENT) {
                assertThat(packet.getUnsignedByte(packet.readerIndex()) >>> 4).as("IPv6 only").isEqualTo(6);
                lengths.add(TcpSegment.parse(packet).payloadLength());
            }
        });
        bothWays(10_000);
        assertThat(lengths.stream().mapToInt(Integer::intValue).max().orElse(0)).isEqualTo(1440 - 12);
        assertThat(stat(s.client, Counter.TcpRetransSegs) + stat(s.server, Counter.TcpRetransSegs)).isZero();
    }

    @Test
    void a_mebibyte_each_way_through_loss_reordering_and_duplication() throws IOException {
        s = new TwoStacks(22, new TcpSettings(), new TcpSettings(), true);
        s.net.impair(FIVE_MS.withLoss(0.01).withReorder(0.02, Duration.ofMillis(3)).withDuplication(0.01));
        bothWays(120_000);
        assertThat(s.net.lost()).isPositive();
        assertThat(stat(s.client, Counter.TcpRetransSegs)).isPositive();
        assertThat(stat(s.server, Counter.TcpRetransSegs)).isPositive();
    }
}
