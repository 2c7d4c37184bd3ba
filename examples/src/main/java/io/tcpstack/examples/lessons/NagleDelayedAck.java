package io.tcpstack.examples.lessons;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.trace.LadderModel;
import java.util.List;

/** Write, write, read: Nagle holds the second write for the ACK that delayed ACK holds back. */
final class NagleDelayedAck implements Lesson {
    private static final int PORT = 40004;
    private static final int UPLOAD = 17 * 1448;
    private static final int HALF = 50;

    @Override
    public String name() {
        return "nagle-delack";
    }

    @Override
    public String title() {
        return "Nagle meeting delayed ACK";
    }

    @Override
    public List<String> story() {
        return List.of(
                "A receiver acknowledges the first 16 segments of a connection at once (quick-ACK mode, so that slow"
                        + " start is not slowed); the client's upload of 17 segments uses that up. After it, the"
                        + " server ACKs in-order data at once only when two full segments are unacknowledged, and"
                        + " otherwise waits up to the delayed-ACK timeout (40 ms at least) for an answer to carry it.",
                "Now the client sends a request in two writes of 50 bytes (a header, then a body) and waits for the"
                        + " answer. The first write goes at once. The second is small and the first is not"
                        + " acknowledged yet, so Nagle's rule (RFC 896) holds it. The server has only half a request:"
                        + " its application does not answer, so nothing carries the ACK, and it waits for the"
                        + " delayed-ACK timer. Only that ACK releases the body: 40 ms lost on a 10 ms round trip.",
                "The same request again with TCP_NODELAY on the client: both writes leave at once, the server answers"
                        + " after one round trip.",
                "$ tcpstack lesson run nagle-delack --html /tmp/nagle.html");
    }

    @Override
    public LadderModel run() {
        try (LessonNet n = LessonNet.standard()) {
            TcpServerSocket listener = n.listen(80);
            Connection c = n.connect(80, PORT);
            LessonNet.Exchange upload = new LessonNet.Exchange(c, listener, UPLOAD, 1);
            n.until("the upload is acknowledged", upload::done);
            Connection s = upload.s;
            n.note("write, write, read: Nagle on");
            request(n, c, s);
            c.setNoDelay(true);
            n.note("the same with TCP_NODELAY");
            request(n, c, s);
            n.closeBoth(c, s);
            return n.ladder(title());
        }
    }

    /** Two writes of {@link #HALF} bytes; the server answers once it has both. */
    private static void request(LessonNet n, Connection c, Connection s) {
        byte[] half = new byte[HALF];
        LessonNet.write(c, half, 0);
        LessonNet.write(c, half, 0);
        int[] got = {0};
        boolean[] answered = {false};
        n.until("the answer arrived", () -> {
            got[0] += Math.max(LessonNet.read(s, 2 * HALF), 0);
            if (got[0] == 2 * HALF && !answered[0]) {
                answered[0] = true;
                LessonNet.write(s, new byte[HALF], 0);
            }
            return answered[0] && LessonNet.read(c, HALF) > 0;
        });
    }
}
