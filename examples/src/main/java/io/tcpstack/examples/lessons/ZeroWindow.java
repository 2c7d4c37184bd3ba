package io.tcpstack.examples.lessons;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.profile.BufferSizes;
import io.tcpstack.trace.LadderModel;
import java.util.List;

/** A receiver that does not read: its window closes, the sender probes, the window opens again. */
final class ZeroWindow implements Lesson {
    private static final int PORT = 40003;
    private static final int BYTES = 24_000;
    private static final long READ_AFTER_MS = 2_500;
    /** Four full segments: the receive buffer fills exactly, the window closes to zero. */
    private static final int BUFFER = 4 * 1448;

    @Override
    public String name() {
        return "zero-window";
    }

    @Override
    public String title() {
        return "Zero window and persist probes";
    }

    @Override
    public List<String> story() {
        return List.of(
                "The server's receive buffer is 5792 bytes (tcp_rmem, no autotuning) and its application does not read for 2.5 s. The client"
                        + " wants to send 24,000 bytes.",
                "The first segments fill the buffer and the server's ACKs offer less and less window, down to zero"
                        + " ('zero window'). The client must not send into a closed window, but if the window update"
                        + " that opens it were lost, both would wait forever. So the persist timer sends a window"
                        + " probe, an ACK with seq = snd.una - 1 (a byte the server already has), and backs off while"
                        + " probes go unanswered (RFC 9293 3.8.6.1, Linux tcp_probe_timer).",
                "Watch the server's side: the probe lies before its window, so it is dropped (TCP_OLD_SEQUENCE) and"
                        + " answered with an ACK that repeats the zero window: a dropped segment with an answer, which"
                        + " is the point of the probe. Some probes get no answer: out-of-window segments are answered"
                        + " at most once per 500 ms (tcp_invalid_ratelimit), as in Linux.",
                "When the application reads, the server tells the client at once with a window update (Linux"
                        + " tcp_cleanup_rbuf: the window doubled), and the data flows again.",
                "$ tcpstack lesson run zero-window --html /tmp/zw.html");
    }

    @Override
    public LadderModel run() {
        LessonNet.Stage stage = new LessonNet.Stage();
        stage.serverSettings.rmem = new BufferSizes(BUFFER, BUFFER, BUFFER);
        stage.serverSettings.moderateRcvbuf = false;
        try (LessonNet n = new LessonNet(stage)) {
            TcpServerSocket listener = n.listen(80);
            Connection c = n.connect(80, PORT);
            byte[] data = new byte[BYTES];
            int[] sent = {0};
            int[] got = {0};
            Connection[] s = new Connection[1];
            long readFrom = n.nowMs() + READ_AFTER_MS;
            n.until("the server read everything", () -> {
                if (s[0] == null) {
                    s[0] = listener.poll();
                }
                if (c.state().isSynchronized() && sent[0] < BYTES) {
                    sent[0] = LessonNet.write(c, data, sent[0]);
                }
                if (s[0] != null && n.nowMs() >= readFrom) {
                    got[0] += Math.max(LessonNet.read(s[0], BYTES), 0);
                }
                return got[0] == BYTES;
            });
            n.closeBoth(c, s[0]);
            return n.ladder(title());
        }
    }
}
