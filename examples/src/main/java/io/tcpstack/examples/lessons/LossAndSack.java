package io.tcpstack.examples.lessons;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.wire.TcpSegment;
import java.util.List;
import java.util.function.Predicate;

/** Two segments of one window lost: duplicate ACKs with SACK blocks, fast retransmit, SACK recovery. */
final class LossAndSack implements Lesson {
    private static final int PORT = 40001;
    private static final int SEGMENTS = 16;

    @Override
    public String name() {
        return "loss-sack";
    }

    @Override
    public String title() {
        return "Loss, fast retransmit and SACK recovery";
    }

    @Override
    public List<String> story() {
        return List.of(
                "The client sends 16 full segments (1448 bytes each) to the server. Its first window is 10 segments"
                        + " (RFC 6928's initial cwnd); the network loses the 3rd and the 6th.",
                "Every segment after a hole reaches the server out of order: it keeps it and answers at once with a"
                        + " duplicate ACK (ack= the first missing byte) whose SACK blocks say what arrived above the"
                        + " hole. The sender counts: when the third duplicate ACK comes, or its scoreboard shows more"
                        + " than two segments SACKed above the first hole, that hole is lost: it retransmits it"
                        + " without waiting for the timer (fast retransmit), halves ssthresh and enters recovery.",
                "In SACK recovery (RFC 6675) the scoreboard knows the second hole too: it goes as soon as pipe (what"
                        + " is still in the network) leaves room in cwnd, before any partial ACK. When the ACK passes"
                        + " everything sent before recovery began, recovery ends with cwnd = ssthresh. Step through"
                        + " the page and watch snd.una jump, cwnd and ssthresh change, and the RTO timer restart.",
                "$ tcpstack lesson run loss-sack --html /tmp/sack.html");
    }

    @Override
    public LadderModel run() {
        try (LessonNet n = LessonNet.standard()) {
            TcpServerSocket listener = n.listen(80);
            Predicate<TcpSegment> data = s -> s.srcPort() == PORT && s.payloadLength() > 0;
            n.net.dropNth(3, data);
            n.net.dropNth(6, data);
            Connection c = n.connect(80, PORT);
            LessonNet.Exchange e = new LessonNet.Exchange(c, listener, SEGMENTS * 1448, 10);
            n.until("the data arrived", e::done);
            n.closeBoth(c, e.s);
            return n.ladder(title());
        }
    }
}
