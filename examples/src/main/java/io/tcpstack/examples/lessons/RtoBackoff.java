package io.tcpstack.examples.lessons;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.trace.LadderModel;
import java.util.List;

/** One request lost four times: the retransmission timer doubles each time. */
final class RtoBackoff implements Lesson {
    private static final int PORT = 40002;
    private static final int LOSSES = 4;

    @Override
    public String name() {
        return "rto-backoff";
    }

    @Override
    public String title() {
        return "RTO backoff";
    }

    @Override
    public List<String> story() {
        return List.of(
                "The handshake takes 10 ms, which gives the client its first RTT sample: RTO = RTT + max(4 x RTTVAR,"
                        + " 200 ms) = 210 ms (RFC 6298 2.2, with Linux's 200 ms floor).",
                "Then the network loses the client's 100-byte request four times. Nothing comes back, so no"
                        + " duplicate ACK can help. First the tail loss probe (RFC 8985 7.3): two round trips after"
                        + " the last send with no ACK, the last segment goes again. Lost too; from then on only the"
                        + " retransmission timer can help. Each time it fires the segment goes again and the timer"
                        + " doubles (RFC 6298 5.5): 210, 420, 840 ms; the congestion state is Loss, cwnd one segment"
                        + " and ssthresh half the flight (RFC 5681 3.5). The timer spans beside the client's lane show"
                        + " the doubling.",
                "The fifth copy arrives; the answer's ACK ends the loss state and resets the backoff (Karn's rule"
                        + " forbids an RTT sample from a retransmitted segment; the timestamps give one anyway).",
                "$ tcpstack lesson run rto-backoff --html /tmp/rto.html");
    }

    @Override
    public LadderModel run() {
        try (LessonNet n = LessonNet.standard()) {
            TcpServerSocket listener = n.listen(80);
            int[] lost = {0};
            n.net.dropIf(s -> s.srcPort() == PORT && s.payloadLength() > 0 && lost[0]++ < LOSSES);
            Connection c = n.connect(80, PORT);
            LessonNet.Exchange e = new LessonNet.Exchange(c, listener, 100, 200);
            n.until("the answer arrived", e::done);
            n.closeBoth(c, e.s);
            return n.ladder(title());
        }
    }
}
