package io.tcpstack.daemon.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.link.PipeLink;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.TcpSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The services on one stack, a client on another, joined in memory: the applications end to end. */
@Timeout(60)
class ServicesOverPipeTest {
    private TcpStack server;
    private TcpStack client;
    private Services services;

    @BeforeEach
    void start() throws IOException {
        PipeLink[] pipe = PipeLink.pair(2, 1500);
        TcpSettings serverSettings = new TcpSettings();
        serverSettings.affinity = Affinity.FLOW;
        server = new TcpStack(StackConfig.builder().address("198.18.0.2").build(), pipe[0],
                io.tcpstack.time.Clock.system(), serverSettings);
        TcpSettings clientSettings = new TcpSettings();
        clientSettings.affinity = Affinity.FLOW;
        client = new TcpStack(StackConfig.builder().address("198.18.0.1").build(), pipe[1],
                io.tcpstack.time.Clock.system(), clientSettings);
        server.start();
        client.start();
        services = Services.start(server, ServiceSpec.parse("echo:7,discard:9,http:80,chargen:19"));
    }

    @AfterEach
    void stop() {
        services.close();
        client.close();
        server.close();
    }

    @Test
    void echo_returns_four_mebibytes_byte_exact() throws Exception {
        byte[] data = new byte[4 << 20];
        new SplittableRandom(7).nextBytes(data);
        try (TcpSocket s = client.connect("198.18.0.2", 7, 0, 5000)) {
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            byte[] back = s.getInputStream().readAllBytes();
            writer.join();
            assertThat(back).isEqualTo(data);
        }
    }

    @Test
    void chargen_sends_rotating_lines_of_72_printable_characters() throws Exception {
        try (TcpSocket s = client.connect("198.18.0.2", 19, 0, 5000)) {
            byte[] two = s.getInputStream().readNBytes(148);
            String text = new String(two, java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(text).startsWith(" !\"#$%&").contains("\r\n!\"#$%&'").endsWith("\r\n");
            assertThat(text.substring(0, 72)).doesNotContain("\r").hasSize(72);
        }
    }

    @Test
    void http_bytes_matches_the_deterministic_stream() throws Exception {
        int n = 3_000_000;
        try (TcpSocket s = client.connect("198.18.0.2", 80, 0, 5000)) {
            s.getOutputStream().write("GET /bytes/3000000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] response = s.getInputStream().readAllBytes();
            String text = new String(response, 0, 200, StandardCharsets.ISO_8859_1);
            assertThat(text).startsWith("HTTP/1.1 200 OK").contains("Content-Length: 3000000");
            int bodyStart = text.indexOf("\r\n\r\n") + 4;
            assertThat(response.length - bodyStart).isEqualTo(n);
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            got.update(response, bodyStart, n);
            MessageDigest want = MessageDigest.getInstance("SHA-256");
            byte[] chunk = new byte[n];
            DeterministicBytes.fill(0, chunk, n);
            want.update(chunk);
            assertThat(got.digest()).isEqualTo(want.digest());
        }
    }

    @Test
    void http_keep_alive_serves_several_requests_on_one_connection() throws Exception {
        try (TcpSocket s = client.connect("198.18.0.2", 80, 0, 5000)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                out.write("GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String head = readHead(in);
                assertThat(head).startsWith("HTTP/1.1 200 OK").contains("Connection: keep-alive");
                assertThat(in.readNBytes(10)).hasSize(10);
            }
            out.write("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            in.transferTo(rest);
            assertThat(rest.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 404");
        }
    }

    @Test
    void two_hundred_short_connections_and_the_server_side_closer_holds_time_wait() throws Exception {
        for (int i = 0; i < 200; i++) {
            try (TcpSocket s = client.connect("198.18.0.2", 80, 0, 5000)) {
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                        .startsWith("HTTP/1.1 200 OK");
            }
        }
        // HTTP/1.0: the server closed first, so the server is the active closer. (Flow affinity:
        // without it, reordered segments strand some closes in FIN_WAIT_2 until the client's FIN
        // is retransmitted, and an ACK reordered behind the FIN fails PAWS in TIME_WAIT and
        // draws the RST that kills the record, as on Linux; FinAckRaceTest covers that.)
        long deadline = System.currentTimeMillis() + 30_000;
        while (timeWaits(server) < 200 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(timeWaits(server)).isEqualTo(200);
        assertThat(timeWaits(client)).isZero();
    }

    /** Reads a response head, up to and with the blank line. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static long timeWaits(TcpStack stack) {
        return stack.connections().stream().filter(c -> c.state() == TcpState.TIME_WAIT).count();
    }

    @Test
    void connect_to_a_closed_port_is_refused() {
        assertThatThrownBy(() -> client.connect("198.18.0.2", 81, 0, 5000))
                .isInstanceOf(io.tcpstack.api.types.TcpException.class).hasMessageContaining("refused");
    }

    @Test
    void services_spec_is_validated() {
        assertThat(ServiceSpec.parse("echo:7, http:8080")).isEqualTo(Map.of("echo", 7, "http", 8080));
        assertThatThrownBy(() -> ServiceSpec.parse("ftp:21")).hasMessageContaining("unknown service 'ftp'");
        assertThatThrownBy(() -> ServiceSpec.parse("echo:0")).hasMessageContaining("1..65535");
        assertThatThrownBy(() -> ServiceSpec.parse("echo")).hasMessageContaining("NAME:PORT");
        assertThatThrownBy(() -> ServiceSpec.parse("echo:7,http:7")).hasMessageContaining("two services");
    }
}
