package io.tcpstack.link;

import static io.tcpstack.testing.TwoStacks.assertSameBytes;
import static io.tcpstack.testing.TwoStacks.pattern;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.testing.TwoStacks;
import io.tcpstack.testing.TwoStacks.App;
import io.tcpstack.testing.TwoStacks.App.Finish;
import io.tcpstack.trace.Tracer;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fault rules on a simulated network, on virtual time: the same {@link FaultInjectingLink} the
 * daemon puts on its TUN device, here on the server's endpoint, with the network attached to its
 * timers. The server plays the stack, the client its peer.
 */
class FaultScenarioTest {
    private SimulatedNetwork net;
    private TcpStack client;
    private TcpStack server;
    private FaultInjectingLink faults;
    private final StackStats serverStats = new StackStats();

    private void start(long seed) {
        net = new SimulatedNetwork(seed);
        net.impair(Impairment.NONE.withLatency(Duration.ofMillis(5)));
        Tracer tracer = new Tracer();
        faults = new FaultInjectingLink(net.endpoint(TwoStacks.SERVER_ADDRESS), java.util.List.of(io.tcpstack.wire.IpAddress.v4(TwoStacks.SERVER)), net.clock(), tracer,
                serverStats);
        net.attach(faults);
        server = new TcpStack(StackConfig.builder().address(TwoStacks.SERVER_ADDRESS).build(), faults, net.clock(),
                new TcpSettings(), tracer, serverStats);
        client = new TcpStack(StackConfig.builder().address(TwoStacks.CLIENT_ADDRESS).build(),
                net.endpoint(TwoStacks.CLIENT_ADDRESS), net.clock(), new TcpSettings());
        for (TcpStack s : new TcpStack[] {server, client}) {
            net.attach(s);
            s.start();
        }
    }

    @AfterEach
    void close() {
        client.close();
        server.close();
        net.close();
    }

    /** Both ends send their bytes and shut down; returns {what the client got, what the server got}. */
    private byte[][] exchange(byte[] toServer, byte[] toClient, long maxVirtualMillis) throws IOException {
        TcpServerSocket listener = server.listen(80, 16);
        Connection c = client.open(TwoStacks.SERVER, 80, 0);
        Connection[] accepted = new Connection[1];
        assertThat(net.runUntil(() -> c.state() == TcpState.ESTABLISHED
                && (accepted[0] != null || (accepted[0] = listener.poll()) != null), 60_000)).isTrue();
        App clientApp = new App(c, toServer, Finish.SHUTDOWN_WHEN_SENT);
        App serverApp = new App(accepted[0], toClient, Finish.SHUTDOWN_WHEN_SENT);
        assertThat(net.runUntil(() -> clientApp.pump() & serverApp.pump(), maxVirtualMillis))
                .as("both directions done within %d virtual ms", maxVirtualMillis).isTrue();
        return new byte[][] {clientApp.received(), serverApp.received()};
    }

    /** The server sends 256 KiB through {@code rule}; the client gets them byte-exact. */
    private void download(long seed, String rule, long maxVirtualMillis) throws IOException {
        start(seed);
        faults.add(FaultRule.parse(rule));
        byte[] download = pattern(256 * 1024, seed);
        assertSameBytes(download, exchange(new byte[0], download, maxVirtualMillis)[0]);
    }

    @Test
    void oneFreshDataSegmentLostOnADownloadIsRepairedBySackRecoveryNotByTimeout() throws IOException {
        download(3, "out :80 data drop nth=20 fresh-only", 30_000);
        assertThat(serverStats.get(DropReason.FAULT_INJECTED)).isEqualTo(1);
        assertThat(serverStats.get(Counter.TcpExtTCPSackRecovery)).isEqualTo(1);
        assertThat(serverStats.get(Counter.TcpExtTCPFastRetrans)).isEqualTo(1);
        assertThat(serverStats.get(Counter.TcpExtTCPTimeouts)).isZero();
        assertThat(serverStats.get(Counter.TcpRetransSegs)).as("the one loss, retransmitted once").isEqualTo(1);
        assertThat(faults.rules().get(0).acted()).isEqualTo(1);
    }

    @Test
    void connsDetailsFollowTheLossThroughRecoveryAndTheHandshakeIsTimedOnTheStacksClock() throws IOException {
        start(6);
        faults.add(FaultRule.parse("out :80 data drop nth=5 fresh-only"));
        TcpServerSocket listener = server.listen(80, 16);
        Connection c = client.open(TwoStacks.SERVER, 80, 0);
        Connection[] s = new Connection[1];
        assertThat(net.runUntil(() -> (s[0] = listener.poll()) != null, 1000)).isTrue();
        assertThat(c.handshakeNanos()).as("SYN to SYN-ACK: one 10 ms round trip").isEqualTo(10_000_000L);
        assertThat(s[0].handshakeNanos()).as("SYN-ACK to ACK").isEqualTo(10_000_000L);
        byte[] data = pattern(64 * 1024, 6);
        App sender = new App(s[0], data, Finish.AFTER_PEER);
        App receiver = new App(c, new byte[0], Finish.AFTER_PEER);
        ConnectionInfo.Details[] inRecovery = new ConnectionInfo.Details[1];
        assertThat(net.runUntil(() -> {
            sender.pump();
            receiver.pump();
            ConnectionInfo.Details d = s[0].info().details();
            if (d.caState().equals("recovery") && inRecovery[0] == null) {
                inRecovery[0] = d;
            }
            return receiver.received().length == data.length;
        }, 10_000)).isTrue();
        ConnectionInfo.Details r = inRecovery[0];
        assertThat(r).as("seen in recovery").isNotNull();
        assertThat(r.lost()).as("the hole").isEqualTo(1);
        assertThat(r.retransOut()).isEqualTo(1);
        assertThat(r.sacked()).isGreaterThanOrEqualTo(3);
        assertThat(r.unacked()).isGreaterThan(r.sacked());
        net.runForMillis(100); // the last ACK on its way
        ConnectionInfo.Details after = s[0].info().details();
        assertThat(after.caState()).isEqualTo("open");
        assertThat(after.retransOut()).isZero();
        assertThat(after.retransTotal()).isEqualTo(1);
        assertThat(after.bytesRetrans()).isEqualTo(after.sndMss());
        assertThat(after.bytesSent()).isEqualTo(data.length + after.sndMss());
        assertThat(after.bytesAcked()).isEqualTo(data.length);
        assertThat(c.info().details().bytesReceived()).isEqualTo(data.length);
        assertThat(after.congestion()).isEqualTo("cubic");
        assertThat(after.deliveryRateBps()).isPositive();
    }

    @Test
    void withoutFreshOnlyEveryTwentiethAlsoHitsRetransmissions() throws IOException {
        download(4, "out :80 data drop every=20", 120_000);
        assertThat(serverStats.get(DropReason.FAULT_INJECTED)).isGreaterThan(serverStats.get(Counter.TcpExtTCPSackRecovery));
    }

    @Test
    void fivePercentLossReorderingAndOnePercentDuplicationBothWaysStayByteExact() throws IOException {
        start(5);
        for (String rule : new String[] {"both any drop p=0.05 seed=51", "both any reorder p=0.05 seed=52",
                "both any duplicate p=0.01 seed=53"}) {
            faults.add(FaultRule.parse(rule));
        }
        byte[] up = pattern(1 << 20, 51);
        byte[] down = pattern(1 << 20, 52);
        byte[][] got = exchange(up, down, 600_000);

        assertSameBytes(down, got[0]);
        assertSameBytes(up, got[1]);
        assertThat(serverStats.get(DropReason.FAULT_INJECTED)).isPositive();
        assertThat(serverStats.get(Counter.TcpExtFaultReordered)).isPositive();
        assertThat(serverStats.get(Counter.TcpExtFaultDuplicated)).isPositive();
    }
}
