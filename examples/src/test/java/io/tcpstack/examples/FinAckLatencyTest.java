package io.tcpstack.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.link.PipeLink;
import io.tcpstack.stats.Counter;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The FIN/ACK latency client and server, both on our stack, joined in memory (real time). */
@Timeout(60)
class FinAckLatencyTest {
    private static final String SERVER = "198.18.0.2";
    private static final int PORT = 5001;
    private static final int LOCAL_PORT = 40_000;

    private TcpStack serverStack;
    private TcpStack clientStack;

    @BeforeEach
    void start() {
        PipeLink[] pipe = PipeLink.pair(2, 1500);
        serverStack = new TcpStack(StackConfig.builder().address(SERVER).build(), pipe[0]);
        clientStack = new TcpStack(StackConfig.builder().address("198.18.0.1").build(), pipe[1]);
        serverStack.start();
        clientStack.start();
    }

    @AfterEach
    void stop() {
        clientStack.close();
        serverStack.close();
    }

    @Test
    void fifty_rounds_from_one_local_port_complete_and_are_counted() throws Exception {
        FinAckLatency.Result r;
        try (FinAckServer server = FinAckLatency.startServer(serverStack, PORT)) {
            r = FinAckLatency.runClient(clientStack, SERVER, PORT, LOCAL_PORT, 50,
                    Duration.ofSeconds(45));

            assertThat(r.count()).isEqualTo(50);
            assertThat(r.deadlineReached()).isFalse();
            assertThat(server.awaitServed(50, Duration.ofSeconds(20))).isTrue();
            assertThat(server.served()).isEqualTo(50);
            assertThat(server.failed()).isZero();
            assertThat(server.finished()).isFalse();

            assertThat(r.p50Micros()).isPositive().isLessThanOrEqualTo(r.p99Micros());
            assertThat(r.p99Micros()).isLessThanOrEqualTo(r.maxMicros());
            // a stale record costs a round a refused attempt or a SYN resend; the median round has neither
            assertThat(r.p50Micros()).isLessThan(FinAckLatency.SLOW_MICROS);
            assertThat(r.slow()).isBetween(0, 50);
            assertThat(r.summary()).matches("fin-ack-lat: count=50 p50=\\d+\\.\\dms p99=\\d+\\.\\dms max=\\d+\\.\\dms"
                    + " slow\\(>500ms\\)=\\d+ refused=\\d+");
        }
        // every round ended with the client's RST (SO_LINGER 0): no TIME_WAIT on the client
        assertThat(clientStack.stats().get(Counter.TcpActiveOpens)).isEqualTo(50 + r.refused());
        assertThat(clientStack.stats().get(Counter.TcpOutRsts)).isGreaterThanOrEqualTo(50);
        assertThat(clientStack.connections()).noneMatch(c -> c.state() == TcpState.TIME_WAIT);
        assertThat(serverStack.stats().get(Counter.TcpPassiveOpens)).isEqualTo(50);
    }

    @Test
    void a_bounded_server_stops_listening_after_its_count() throws Exception {
        try (FinAckServer server = FinAckLatency.startServer(serverStack, PORT, 3, Duration.ofSeconds(30))) {
            FinAckLatency.Result r = FinAckLatency.runClient(clientStack, SERVER, PORT, LOCAL_PORT, 3,
                    Duration.ofSeconds(30));
            assertThat(r.count()).isEqualTo(3);
            assertThat(server.awaitServed(3, Duration.ofSeconds(20))).isTrue();
            assertThat(server.awaitServed(4, Duration.ofSeconds(5))).isFalse(); // returns once finished
            assertThat(server.finished()).isTrue();
            assertThat(server.toString()).isEqualTo("fin-ack-lat server: port=5001 served=3 failed=0");
        }
        assertThatThrownBy(() -> clientStack.connect(SERVER, PORT, LOCAL_PORT, 5000))
                .isInstanceOf(TcpException.class).hasMessageContaining("refused");
    }

    @Test
    void a_server_lifetime_ends_the_accept_loop() throws Exception {
        try (FinAckServer server = FinAckLatency.startServer(serverStack, PORT, 100,
                Duration.ofMillis(200))) {
            assertThat(server.awaitServed(1, Duration.ofSeconds(5))).isFalse();
            assertThat(server.finished()).isTrue();
            assertThat(server.served()).isZero();
        }
    }

    @Test
    void the_deadline_stops_a_client_whose_server_never_answers() throws Exception {
        // listening, so the handshake completes, but nobody accepts or replies
        try (TcpServerSocket silent = serverStack.listen(PORT, 8)) {
            long start = System.nanoTime();
            FinAckLatency.Result r = FinAckLatency.runClient(clientStack, SERVER, PORT, LOCAL_PORT, 5,
                    Duration.ofMillis(300));
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            assertThat(r.deadlineReached()).isTrue();
            assertThat(r.count()).isEqualTo(1); // the connect was measured, the reply never came
            assertThat(tookMs).isBetween(250L, 5_000L);
            assertThat(r.json()).contains("\"count\": 1,").endsWith("\"deadline_reached\": true}");
        }
    }

    @Test
    void the_deadline_bounds_a_long_run() throws Exception {
        try (FinAckServer server = FinAckLatency.startServer(serverStack, PORT)) {
            FinAckLatency.Result r = FinAckLatency.runClient(clientStack, SERVER, PORT, LOCAL_PORT, 100_000,
                    Duration.ofSeconds(1));
            assertThat(r.deadlineReached()).isTrue();
            assertThat(r.count()).isPositive().isLessThan(100_000);
        }
    }

    @Test
    void a_connection_that_ends_before_its_four_bytes_is_counted_as_failed() throws Exception {
        try (FinAckServer server = FinAckLatency.startServer(serverStack, PORT)) {
            try (TcpSocket s = clientStack.connect(SERVER, PORT, 0, 5000)) {
                s.getOutputStream().write(new byte[] {1, 2});
            }
            FinAckLatency.Result r = FinAckLatency.runClient(clientStack, SERVER, PORT, LOCAL_PORT, 1,
                    Duration.ofSeconds(10));
            assertThat(r.count()).isEqualTo(1);
            assertThat(server.awaitServed(1, Duration.ofSeconds(20))).isTrue();
            assertThat(server.failed()).isEqualTo(1);
        }
    }

    @Test
    void a_refused_connect_is_an_error() {
        assertThatThrownBy(() -> FinAckLatency.runClient(clientStack, SERVER, PORT, LOCAL_PORT, 5,
                Duration.ofSeconds(10))).isInstanceOf(TcpException.class).hasMessageContaining("refused");
    }

    @Test
    void summary_and_json_formats_match_the_python_script() {
        FinAckLatency.Result r = new FinAckLatency.Result(200, 300, 1_002_100, 1_004_000, 12, 14, 3, false);
        assertThat(r.summary())
                .isEqualTo("fin-ack-lat: count=200 p50=0.3ms p99=1002.1ms max=1004.0ms slow(>500ms)=12 refused=3");
        assertThat(r.json()).isEqualTo("{\"count\": 200, \"p50_us\": 300, \"p99_us\": 1002100, \"max_us\": 1004000,"
                + " \"slow\": 12, \"slow_threshold_us\": 500000, \"over_5ms\": 14, \"refused\": 3, \"deadline_reached\": false}");
    }

    @Test
    void arguments_are_validated() {
        Duration d = Duration.ofSeconds(1);
        assertThatThrownBy(() -> FinAckLatency.runClient(clientStack, SERVER, 0, LOCAL_PORT, 1, d))
                .hasMessageContaining("port 0");
        assertThatThrownBy(() -> FinAckLatency.runClient(clientStack, SERVER, PORT, 70_000, 1, d))
                .hasMessageContaining("local port 70000");
        assertThatThrownBy(() -> FinAckLatency.runClient(clientStack, SERVER, PORT, LOCAL_PORT, 0, d))
                .hasMessageContaining("count 0");
        assertThatThrownBy(() -> FinAckLatency.runClient(clientStack, SERVER, PORT, LOCAL_PORT, 1, Duration.ZERO))
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> FinAckLatency.startServer(serverStack, PORT, 0, null))
                .hasMessageContaining("maxConnections");
        assertThatThrownBy(() -> FinAckLatency.startServer(serverStack, PORT, 1, Duration.ofMillis(-1)))
                .hasMessageContaining("lifetime");
    }
}
