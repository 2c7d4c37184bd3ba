package io.tcpstack.examples.lessons;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.trace.LadderModel;
import java.util.List;

/** The three-way handshake, what the options negotiate, one request, one answer, the close. */
final class Handshake implements Lesson {
    private static final int REQUEST = 100;
    @Override
    public String name() {
        return "handshake";
    }

    @Override
    public String title() {
        return "The three-way handshake and option negotiation";
    }

    @Override
    public List<String> story() {
        return List.of(
                "The client opens a connection to port 80 of the server, 5 ms away. Its SYN offers what it can do:"
                        + " its MSS (1460: a 1500-byte MTU less 40 bytes of headers), SACK, timestamps and a window"
                        + " scale. The server's SYN-ACK answers with its own MSS (1360: its link has a 1400-byte MTU)"
                        + " and only the options it agrees to: it has SACK turned off, so this connection has none.",
                "The third segment (the client's ACK) completes the handshake; the client's request rides on the"
                        + " next one. Sequence numbers are relative: each side's SYN is 0, its first byte 1, so"
                        + " ack=101 says 'I have your 100 bytes'. From the handshake on, windows are scaled.",
                "Each side now sends at most the smaller MSS less the 12 bytes of timestamp option (1348). The server"
                        + " answers 2041 bytes: a full segment and 693 bytes (a small segment may go while no other"
                        + " small one is unacknowledged: Nagle as Linux applies it, with Minshall's rule), then its FIN."
                        + " The server closed first (as an HTTP/1.0 server does): its connection becomes a FIN-WAIT-2"
                        + " record, then TIME-WAIT when the client's FIN comes; the side that closes first keeps the"
                        + " 4-tuple for 60 s.",
                "$ tcpstack lesson run handshake --html /tmp/h.html");
    }

    @Override
    public LadderModel run() {
        LessonNet.Stage stage = new LessonNet.Stage();
        stage.serverMtu = 1400;
        stage.serverSettings.sack = false;
        try (LessonNet n = new LessonNet(stage)) {
            TcpServerSocket listener = n.listen(80);
            Connection c = n.connect(80, 40000);
            String head = "GET / HTTP/1.0\r\nHost: 198.18.0.2\r\nUser-Agent: tcpstack lesson";
            byte[] request = LessonNet.text(head + " ".repeat(REQUEST - head.length() - 4) + "\r\n\r\n");
            byte[] answer = LessonNet.text("HTTP/1.0 200 OK\r\nContent-Length: 2000\r\n\r\n" + "x".repeat(2000));
            Connection[] s = new Connection[1];
            int[] sent = new int[2];
            int[] got = new int[2];
            n.until("the server's connection is closed", () -> {
                if (s[0] == null) {
                    s[0] = listener.poll();
                }
                if (c.state().isSynchronized()) {
                    sent[0] = LessonNet.write(c, request, sent[0]);
                }
                if (s[0] != null) {
                    int r = LessonNet.read(s[0], 4096);
                    got[0] += Math.max(r, 0);
                    if (got[0] >= request.length && sent[1] < answer.length) {
                        sent[1] = LessonNet.write(s[0], answer, sent[1]);
                        if (sent[1] == answer.length) {
                            s[0].close();
                        }
                    }
                }
                int r = LessonNet.read(c, 4096);
                if (r < 0 && got[1] >= 0) {
                    got[1] = -1;
                    c.close();
                } else if (r > 0) {
                    got[1] += r;
                }
                return got[1] < 0 && c.isClosed();
            });
            n.run(100);
            return n.ladder(title());
        }
    }
}
