package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.link.PcapReader;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.trace.PcapLadder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tcpstack ladder on what tcpdump captured of two kernels talking: curl in one namespace fetches a
 * file from python's http.server in another, over a veth pair (198.18.1.1 and 198.18.1.2). The
 * ladder's handshake, data and FIN exchange, and its relative sequence and acknowledgement numbers
 * packet by packet, are checked against tshark's reading of the same capture; text, SVG and the
 * page are written.
 */
@Tag("netns")
class LadderCaptureIT {
    private static final Pattern SEQ = Pattern.compile(" seq=(\\d+)");
    private static final Pattern ACK = Pattern.compile(" ack=(\\d+)");
    private static final Pattern LEN = Pattern.compile(" len=(\\d+)");

    @TempDir
    Path dir;

    @Test
    void aKernelToKernelCurlCapturedByTcpdumpIsDrawnWithWiresharksNumbers() throws Exception {
        Netns.requireRoot();
        Path capture = dir.resolve("curl.pcap");
        Path site = Files.createDirectories(dir.resolve("site"));
        byte[] file = new byte[300_000];
        new java.util.Random(15).nextBytes(file);
        Files.write(site.resolve("file.bin"), file);
        try (Netns client = Netns.createEmpty(); Netns server = Netns.createEmpty()) {
            String veth = "lt" + ProcessHandle.current().pid() % 100_000;
            client.exec(10, "ip", "link", "add", veth + "a", "type", "veth", "peer", "name", veth + "b", "netns",
                    server.name).ok();
            client.exec(10, "ip", "addr", "add", "198.18.1.1/24", "dev", veth + "a").ok();
            client.exec(10, "ip", "link", "set", veth + "a", "up").ok();
            server.exec(10, "ip", "addr", "add", "198.18.1.2/24", "dev", veth + "b").ok();
            server.exec(10, "ip", "link", "set", veth + "b", "up").ok();
            server.start(dir.resolve("http.out"), dir.resolve("http.err"), "python3", "-m", "http.server", "8080",
                    "--bind", "198.18.1.2", "--directory", site.toString());
            DaemonProcess.await(30, "the http server", () -> {
                try {
                    return client.exec(5, "bash", "-c", "echo > /dev/tcp/198.18.1.2/8080").exit() == 0;
                } catch (Exception e) {
                    return false;
                }
            });
            Process tcpdump = client.start(dir.resolve("tcpdump.out"), dir.resolve("tcpdump.err"), "tcpdump",
                    "--immediate-mode", "-Z", "root", "-U", "-i", veth + "a", "-w", capture.toString(),
                    "tcp port 8080 and not port 0");
            DaemonProcess.await(30, "tcpdump to listen", () -> DaemonProcess.read(dir.resolve("tcpdump.err"))
                    .contains("listening on"));
            Netns.Result curl = client.exec(60, "curl", "-sS", "-o", dir.resolve("got.bin").toString(), "-w",
                    "%{http_code}", "http://198.18.1.2:8080/file.bin").ok();
            assertThat(curl.out()).isEqualTo("200");
            assertThat(Files.readAllBytes(dir.resolve("got.bin"))).isEqualTo(file);
            // the last ACK is on the wire when curl exits; tcpdump writes it within its next wake-up
            DaemonProcess.await(60, "tcpdump to write both FINs and the last ACK", () -> {
                try {
                    List<LadderModel.Row> seen = PcapLadder.build("so far", PcapReader.read(capture), List.of(), false)
                            .rows();
                    return seen.stream().filter(r -> r.label().startsWith("F")).count() == 2
                            && !seen.get(seen.size() - 1).label().startsWith("F");
                } catch (Exception e) {
                    return false; // not written yet, or a record half written
                }
            });
            tcpdump.destroy();
            tcpdump.waitFor(10, TimeUnit.SECONDS);
        }

        List<String[]> tshark = new ArrayList<>();
        for (String line : Netns.run(60, "tshark", "-r", capture.toString(), "-o", "tcp.relative_sequence_numbers:TRUE",
                "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.flags", "-e", "tcp.seq", "-e", "tcp.ack", "-e", "tcp.len")
                .ok().out().split("\n")) {
            if (!line.isBlank()) {
                tshark.add(line.split("\t"));
            }
        }
        LadderModel m = PcapLadder.build("curl", PcapReader.read(capture), List.of(), false);
        List<LadderModel.Row> rows = m.rows();
        assertThat(rows).hasSize(tshark.size());
        for (int i = 0; i < rows.size(); i++) {
            String label = rows.get(i).label();
            String[] t = tshark.get(i);
            assertThat(rows.get(i).lane == 0 ? "client" : "server").as("sender of packet %d", i + 1)
                    .isEqualTo(t[0].equals("8080") ? "server" : "client");
            assertThat(number(SEQ, label)).as("seq of packet %d: %s", i + 1, label).isEqualTo(t[2]);
            assertThat(number(ACK, label, "0")).as("ack of packet %d: %s", i + 1, label).isEqualTo(t[3]);
            assertThat(number(LEN, label)).as("len of packet %d: %s", i + 1, label).isEqualTo(t[4]);
        }
        assertThat(rows.get(0).label()).startsWith("S seq=0 ");
        assertThat(rows.get(1).label()).startsWith("S. seq=0 ack=1 ");
        assertThat(rows.get(2).label()).startsWith(". seq=1 ack=1 ");
        assertThat(rows.stream().filter(r -> r.segment.length() > 1000)).as("data").isNotEmpty();
        assertThat(rows.stream().filter(r -> r.label().startsWith("F"))).as("a FIN each way")
                .extracting(r -> r.lane).containsExactlyInAnyOrder(0, 1);
        LadderModel.Row lastFromClient = rows.stream().filter(r -> r.lane == 0).reduce((a, b) -> b).orElseThrow();
        assertThat(Long.parseLong(number(ACK, lastFromClient.label(), "0"))).as("the client's last ACK covers the"
                + " answer and its FIN").isGreaterThan(file.length);

        Path html = dir.resolve("curl.html");
        Path svg = dir.resolve("curl.svg");
        Netns.Result ladder = Netns.run(60, "java", "-jar", DaemonProcess.jar(), "ladder", capture.toString(), "--html",
                html.toString(), "--svg", svg.toString()).ok();
        System.out.println(ladder.out());
        assertThat(ladder.out()).contains("198.18.1.1 (client)").contains("198.18.1.2 (server)")
                .contains("|-- S seq=0 win=").contains("S. seq=0 ack=1 ").contains("F. seq=");
        assertThat(ladder.out().lines().filter(l -> !l.startsWith("wrote "))).allMatch(l -> l.length() <= 100);
        assertThat(Files.readString(svg)).startsWith("<svg").contains("marker-end");
        assertThat(Files.readString(html)).contains("no stack-side reasoning").contains("<svg");
    }

    private static String number(Pattern p, String label) {
        return number(p, label, null);
    }

    private static String number(Pattern p, String label, String absent) {
        Matcher m = p.matcher(label);
        return m.find() ? m.group(1) : absent;
    }
}
