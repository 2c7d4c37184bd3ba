package io.tcpstack.examples.lessons;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.wire.TcpView;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * TIME_WAIT (why it lasts, what it repeats), tw_reuse on the connecting side, and tw_recycle on a
 * server whose clients share one address behind a NAT (stack/BEHAVIOURS.md 4).
 */
final class TimeWaitReuseRecycle implements Lesson {
    private static final int PORT = 80;
    private static final int REUSED_PORT = 40010;
    /** Connections from one address with unrelated timestamp clocks: hosts behind one NAT. */
    private static final int NAT_HOST_A = 41000;
    private static final int MAX_NAT_HOSTS = 8;

    @Override
    public String name() {
        return "time-wait";
    }

    @Override
    public String title() {
        return "TIME_WAIT, tw_reuse, and tw_recycle behind NAT";
    }

    @Override
    public List<String> story() {
        return List.of(
                "1. TIME-WAIT. The client closes first, so the client ends in TIME-WAIT: a compact record of the"
                        + " 4-tuple, its last sequence numbers and timestamp, kept 60 s (Linux's TCP_TIMEWAIT_LEN,"
                        + " our timewait-len). The network loses the client's last ACK; the server, in LAST-ACK,"
                        + " sends its FIN again after its RTO, and the record answers it with the ACK again and"
                        + " starts its 60 s anew. That is what TIME-WAIT is for: the last ACK can be repeated, and"
                        + " old duplicates die before the 4-tuple is used again. After 60 s the record goes"
                        + " silently (TcpExtTW counts it).",
                "2. tw_reuse. The client's port range is one port (40010), and its last connection from it is in"
                        + " TIME-WAIT. With tw_reuse 0 a new connect fails: no 4-tuple is free (EADDRNOTAVAIL). With"
                        + " tw_reuse 1 (Linux tcp_twsk_unique) a connect may take the 4-tuple over when the old"
                        + " connection had timestamps and its last one is over a second old: timestamps make it safe"
                        + " (PAWS drops the old connection's duplicates). The new ISN is the old snd.nxt + 65537.",
                "3. tw_recycle (Linux before 4.12) on the server. This time the server closes first and holds"
                        + " TIME-WAIT, and with tw_recycle it remembers, per peer address, the last timestamp it saw."
                        + " Two clients behind one NAT share that address but not their timestamp clocks (Linux"
                        + " gives every connection a random offset). The second one's SYN has an older timestamp,"
                        + " so the server drops it without a word (TcpExtPAWSPassive), and again when it is resent:"
                        + " that client's connects time out. That is why tw_recycle was removed.",
                "$ tcpstack lesson run time-wait --html /tmp/tw.html");
    }

    @Override
    public LadderModel run() {
        LessonNet.Stage stage = new LessonNet.Stage();
        stage.clientSettings.portRangeLow = REUSED_PORT;
        stage.clientSettings.portRangeHigh = REUSED_PORT;
        stage.clientSettings.twReuse = 0;
        try (LessonNet n = new LessonNet(stage)) {
            TcpServerSocket listener = n.listen(PORT);
            n.note("1. TIME-WAIT: the client closes first");
            timeWait(n, listener);
            n.note("2. tw_reuse: the only local port is in TIME-WAIT");
            reuse(n, listener);
            n.note("3. tw_recycle on the server, two clients behind one NAT");
            recycle(n, listener);
            return n.ladder(title());
        }
    }

    /** A request and its answer; then the client closes first, and the server reads the end of stream. */
    private static Connection clientClosesFirst(LessonNet n, TcpServerSocket listener) {
        Connection c = n.connect(PORT, 0);
        LessonNet.Exchange e = new LessonNet.Exchange(c, listener, 100, 100);
        n.until("the answer arrived", e::done);
        c.close();
        n.until("the client's FIN is acknowledged", () -> LessonNet.read(e.s, 16) < 0);
        return e.s;
    }

    /** A request and its answer from {@code localPort} (0: any); then the server closes first, and the client. */
    private static void serverClosesFirst(LessonNet n, TcpServerSocket listener, int localPort) {
        Connection c = n.connect(PORT, localPort);
        LessonNet.Exchange e = new LessonNet.Exchange(c, listener, 100, 100);
        n.until("the answer arrived", e::done);
        e.s.close();
        n.until("the client saw the server's FIN", () -> LessonNet.read(c, 16) < 0);
        c.close();
    }

    private static void timeWait(LessonNet n, TcpServerSocket listener) {
        Connection server = clientClosesFirst(n, listener);
        var lastAck = n.net.dropNth(1, s -> s.srcPort() == REUSED_PORT && s.flags() == TcpView.ACK);
        server.close();
        n.run(1_000);
        lastAck.remove();
        n.run(60_000);
    }

    private static void reuse(LessonNet n, TcpServerSocket listener) {
        clientClosesFirst(n, listener).close();
        n.run(2_000);
        try {
            n.connect(PORT, 0);
            throw new IllegalStateException("the connect should have found no free 4-tuple");
        } catch (UncheckedIOException refused) {
            n.note("connect with tw_reuse 0: " + refused.getCause().getMessage());
        }
        n.client.settings().twReuse = 1;
        n.note("connect with tw_reuse 1");
        serverClosesFirst(n, listener, 0);
        n.run(50);
    }

    private static void recycle(LessonNet n, TcpServerSocket listener) {
        n.server.settings().twRecycle = true;
        serverClosesFirst(n, listener, NAT_HOST_A);
        n.run(50);
        // the other hosts behind the NAT: each connection's clock has its own offset; the first whose
        // clock is behind host a's finds its SYNs dropped
        for (int host = 1; host <= MAX_NAT_HOSTS; host++) {
            char name = (char) ('a' + host);
            n.note("host " + name + " connects through the NAT");
            Connection b = n.connect(PORT, NAT_HOST_A + host);
            n.run(3_500);
            if (b.state() == TcpState.SYN_SENT) {
                b.abort();
                n.note("host " + name + " gives up; its connect would time out after its SYN retries");
                n.run(10);
                return;
            }
            n.until("host " + name + "'s connection is accepted", () -> listener.poll() != null);
            b.abort();
            n.run(10);
        }
        throw new IllegalStateException("no host behind the NAT had a clock behind host a's");
    }
}
