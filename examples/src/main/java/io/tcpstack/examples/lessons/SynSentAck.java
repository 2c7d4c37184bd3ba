package io.tcpstack.examples.lessons;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.profile.SynResend;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.wire.TcpView;
import java.util.List;

/**
 * The unacceptable ACK in SYN-SENT (stack/BEHAVIOURS.md 2): a stale FIN-WAIT-2 record answers a new SYN
 * with an ACK of the old connection; the client resets it and resends its SYN after the full
 * initial RTO (rto-init, Linux <= 5.5) or after TCP_TIMEOUT_MIN (timeout-min, Linux >= 5.6).
 */
final class SynSentAck implements Lesson {
    private static final int PORT = 5001;
    private static final int CLIENT_PORT = 40000;

    @Override
    public String name() {
        return "syn-sent";
    }

    @Override
    public String title() {
        return "The unacceptable ACK in SYN-SENT: rto-init vs timeout-min (Linux 5.5 vs 5.6)";
    }

    @Override
    public List<String> story() {
        return List.of(
                "The server closes first, the client answers with SO_LINGER 0: an RST. The network loses that RST,"
                        + " as a lost FIN/ACK race would, so the server keeps a FIN-WAIT-2 record of the old"
                        + " connection (fin-timeout, 60 s).",
                "20 ms later the client connects again from the same port. Its SYN carries a new ISN, outside the"
                        + " record's window, so the record answers as for the old connection: an ACK with seq = its"
                        + " old snd.nxt and ack = its old rcv.nxt. In SYN-SENT an ACK is acceptable only if it"
                        + " acknowledges our SYN; this one does not. The client answers RST seq=SEG.ACK (which the"
                        + " record accepts: it is gone) and stays in SYN-SENT.",
                "rto-init (Linux up to 5.5): the SYN waits for its retransmission timer: a second, the initial RTO."
                        + " timeout-min (Linux 5.6 and later, commit 9603d47bad46): the timer is re-armed to"
                        + " TCP_TIMEOUT_MIN (2 ms here; 2 jiffies in Linux), once per connect. The same story, 1 s"
                        + " against 2 ms.",
                "$ tcpstack lesson run syn-sent --html /tmp/synsent.html");
    }

    @Override
    public LadderModel run() {
        try (LessonNet n = LessonNet.standard()) {
            TcpServerSocket listener = n.listen(PORT);
            for (SynResend mode : List.of(SynResend.RTO_INIT, SynResend.TIMEOUT_MIN)) {
                n.client.settings().synResend = mode;
                n.note("client syn-resend " + mode.knobValue());
                staleRecord(n, listener);
                n.reconnect(listener, PORT, CLIENT_PORT);
            }
            return n.ladder(title());
        }
    }

    /** A round whose closing RST is lost: the server keeps a FIN-WAIT-2 record. */
    private static void staleRecord(LessonNet n, TcpServerSocket listener) {
        Connection c = n.echoThenServerCloses(listener, PORT, CLIENT_PORT);
        var rst = n.net.dropNth(1, s -> s.srcPort() == CLIENT_PORT && s.has(TcpView.RST));
        n.resetRightAfterFinAck(c);
        n.run(20);
        rst.remove();
    }
}
