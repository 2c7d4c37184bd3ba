package io.tcpstack.examples.lessons;

import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.trace.LadderModel;
import java.util.List;

/** Both ends open at once (SYNs cross) and, later, both close at once (FINs cross). */
final class Simultaneous implements Lesson {
    private static final int PORT_A = 5000;
    private static final int PORT_B = 6000;

    @Override
    public String name() {
        return "simultaneous";
    }

    @Override
    public String title() {
        return "Simultaneous open and simultaneous close";
    }

    @Override
    public List<String> story() {
        return List.of(
                "Two hosts, no listener: each connects to the other's port at the same instant (198.18.0.1:5000 to"
                        + " 198.18.0.2:6000 and back). Their SYNs cross on the wire. A SYN without ACK in SYN-SENT is"
                        + " RFC 9293's simultaneous open: each side moves to SYN-RECEIVED and sends its SYN again, now"
                        + " with an ACK of the other's. Each SYN-ACK completes the other's handshake: four segments"
                        + " instead of three, one connection, no server.",
                "Later both applications close at the same instant. The FINs cross: each side, in FIN-WAIT-1, receives"
                        + " a FIN before the ACK of its own, so it goes to CLOSING (RFC 9293's rarest state), ACKs, and"
                        + " on the ACK of its own FIN goes to TIME-WAIT. Both ends hold the TIME-WAIT record: both were"
                        + " active closers.",
                "$ tcpstack lesson run simultaneous --html /tmp/simul.html");
    }

    @Override
    public LadderModel run() {
        LessonNet.Stage stage = new LessonNet.Stage();
        stage.clientLabel = "A " + LessonNet.CLIENT_ADDRESS;
        stage.serverLabel = "B " + LessonNet.SERVER_ADDRESS;
        try (LessonNet n = new LessonNet(stage)) {
            Connection a = n.connect(PORT_B, PORT_A);
            Connection b = LessonNet.open(n.server, LessonNet.CLIENT, PORT_A, PORT_B);
            n.until("both are established", () -> a.state() == TcpState.ESTABLISHED && b.state() == TcpState.ESTABLISHED);
            n.run(20);
            a.close();
            b.close();
            n.until("both are in TIME-WAIT", () -> a.state() == TcpState.CLOSED && b.state() == TcpState.CLOSED);
            n.run(50);
            return n.ladder(title());
        }
    }
}
