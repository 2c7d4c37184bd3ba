package io.tcpstack.tcp;

import static io.tcpstack.testing.TwoStacks.assertSameBytes;
import static io.tcpstack.testing.TwoStacks.pattern;
import static io.tcpstack.testing.TwoStacks.stat;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.link.Impairment;
import io.tcpstack.profile.MemoryLimits;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.testing.TwoStacks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stack-wide memory budget (tcp_mem; Linux __sk_mem_raise_allocated, tcp_try_rmem_schedule,
 * sk_stream_moderate_sndbuf) on virtual time: several connections whose applications do not read
 * for a while push the stack past PRESSURE and HIGH. The receiver stops growing windows, prunes
 * its out-of-order queues and drops what the budget has no room for; the senders retransmit, and
 * every byte arrives once the applications read. On the sending side writes wait instead.
 */
class MemoryPressureScenarioTest {
    private static final int CONNECTIONS = 6;
    private static final int BYTES = 384 * 1024;
    /** 96 KiB, 128 KiB, 192 KiB: six connections' 64 KiB windows are more than HIGH. */
    private static final MemoryLimits SMALL = new MemoryLimits(24, 32, 48);
    private static final long QUIET_MS = 3_000;

    private TwoStacks s;

    @AfterEach
    void close() {
        if (s != null) {
            s.close();
        }
    }

    /** One direction of one connection: the writer's end and the reader's end. */
    private record Flow(Connection writer, Connection reader, byte[] data, int[] written, ByteArrayOutputStream received) {
        Flow(Connection writer, Connection reader, byte[] data) {
            this(writer, reader, data, new int[1], new ByteArrayOutputStream());
        }

        void write() throws TcpException, InterruptedException {
            if (written[0] < data.length) {
                written[0] += writer.write(data, written[0], data.length - written[0], false, 0);
            }
        }

        void read(byte[] chunk) throws TcpException, InterruptedException {
            int n;
            while ((n = reader.read(chunk, 0, chunk.length, false, 0)) > 0) {
                received.write(chunk, 0, n);
            }
        }

        boolean done() {
            return received.size() == data.length;
        }
    }

    /** {@link #CONNECTIONS} connections client -> server; {@code upload} says which end writes. */
    private List<Flow> flows(boolean upload) throws IOException {
        TcpServerSocket listener = s.server.listen(TwoStacks.SERVER_PORT, 16);
        List<Connection> clients = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            clients.add(s.client.open(TwoStacks.SERVER, TwoStacks.SERVER_PORT, 0));
        }
        List<Connection> accepted = new ArrayList<>();
        assertThat(s.net.runUntil(() -> {
            for (Connection c; (c = listener.poll()) != null; ) {
                accepted.add(c);
            }
            return accepted.size() == CONNECTIONS;
        }, 10_000)).isTrue();
        List<Flow> flows = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            Connection c = clients.get(i);
            Connection a = accepted.stream().filter(x -> x.remotePort() == c.localPort()).findFirst().orElseThrow();
            byte[] data = pattern(BYTES, 100 + i);
            flows.add(upload ? new Flow(c, a, data) : new Flow(a, c, data));
        }
        return flows;
    }

    /**
     * Runs until every flow arrived: writers write all along, readers read nothing for
     * {@link #QUIET_MS}. Returns the most pages {@code stack} held at once.
     */
    private long transfer(List<Flow> flows, TcpStack stack) {
        long start = s.nowMillis();
        byte[] chunk = new byte[64 * 1024];
        long[] most = {0};
        boolean done = s.net.runUntil(() -> {
            boolean all = true;
            for (Flow f : flows) {
                try {
                    f.write();
                    if (s.nowMillis() - start >= QUIET_MS) {
                        f.read(chunk);
                    }
                } catch (TcpException | InterruptedException e) {
                    throw new AssertionError(e);
                }
                all &= f.done();
            }
            most[0] = Math.max(most[0], stack.tcp().memory().allocatedPages());
            return all;
        }, 600_000);
        for (Flow f : flows) {
        }
        assertThat(done).as("every flow arrived within 600 virtual s").isTrue();
        for (Flow f : flows) {
            assertSameBytes(f.data(), f.received().toByteArray());
        }
        return most[0];
    }

    private static TcpSettings budget(MemoryLimits limits) {
        TcpSettings settings = new TcpSettings();
        settings.tcpMem = limits;
        return settings;
    }

    @Test
    void a_receiver_past_its_budget_prunes_and_drops_and_every_byte_still_arrives_by_retransmission() throws IOException {
        s = new TwoStacks(21, new TcpSettings(), budget(SMALL));
        s.net.impair(Impairment.NONE.withLatency(Duration.ofMillis(5)).withLoss(0.01)
                .withReorder(0.05, Duration.ofMillis(3)));
        List<Flow> flows = flows(true);
        long most = transfer(flows, s.server);

        TcpMemory memory = s.server.tcp().memory();
        assertThat(stat(s.server, Counter.TcpExtTCPMemoryPressures)).as("pressure engaged").isPositive();
        assertThat(stat(s.server, Counter.TcpExtPruneCalled)).isPositive();
        assertThat(stat(s.server, Counter.TcpExtOfoPruned)).as("out-of-order ranges pruned").isPositive();
        assertThat(stat(s.server, Counter.TcpExtTCPRcvQDrop)).as("in-order data over the budget dropped").isPositive();
        assertThat(s.server.stats().get(DropReason.TCP_PROTO_MEM)).isPositive();
        assertThat(stat(s.client, Counter.TcpRetransSegs)).as("the senders repaired it").isPositive();
        // beyond HIGH only an empty receive queue is charged (sk_forced_mem_schedule): one segment each
        assertThat(most).as("pages held at most").isLessThanOrEqualTo(SMALL.high() + CONNECTIONS);
        assertThat(memory.allocatedPages()).as("read: only rounding is held").isLessThanOrEqualTo(CONNECTIONS);
        for (Flow f : flows) {
            f.reader().close();
            f.writer().close();
        }
        s.net.runForMillis(70_000);
        assertThat(memory.allocatedPages()).as("all closed: nothing held").isZero();
        assertThat(memory.underPressure()).isFalse();
        assertThat(stat(s.server, Counter.TcpExtTCPMemoryPressuresChrono)).as("ms under pressure").isPositive();
    }

    @Test
    void a_sender_past_its_budget_makes_writes_wait_and_gives_the_send_buffer_back_below_low() throws IOException {
        s = new TwoStacks(22, new TcpSettings(), budget(SMALL));
        s.net.impair(Impairment.NONE.withLatency(Duration.ofMillis(5)));
        List<Flow> flows = flows(false);
        long most = transfer(flows, s.server);

        assertThat(stat(s.server, Counter.TcpExtTCPMemoryPressures)).isPositive();
        assertThat(stat(s.server, Counter.TcpExtTCPSndMemDrop)).as("writes the budget refused").isPositive();
        // each may still queue tcp_wmem[0] (4 KiB) beyond HIGH, and up to a page of rounding
        assertThat(most).as("pages held at most").isLessThanOrEqualTo(SMALL.high() + 2L * CONNECTIONS);
        s.net.runForMillis(1_000); // the last ACKs
        assertThat(s.server.tcp().memory().allocatedPages()).as("all acknowledged: nothing held").isZero();
        assertThat(flows.get(0).writer().sendSpace()).as("send buffer back to tcp_wmem[2] below LOW")
                .isEqualTo(new TcpSettings().wmem.max());
    }
}
