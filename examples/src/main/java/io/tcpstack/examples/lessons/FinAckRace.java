package io.tcpstack.examples.lessons;

import io.netty.buffer.ByteBuf;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.link.Steering;
import io.tcpstack.profile.Affinity;
import io.tcpstack.trace.LadderModel;
import java.util.List;

/**
 * The FIN/ACK race of stack/BEHAVIOURS.md 1 on the stack as server, with two queues: the client's
 * ACK of the server's FIN (sent by its kernel in softirq on one CPU) and its RST (sent by its
 * application on another) arrive together; with affinity none each lands on the queue of the CPU
 * that sent it and the two are processed at once, and the RST, looked up before the ACK turned the
 * connection into a FIN-WAIT-2 record, is dropped (TCP_CLOSE). The next connect from the same port
 * pays for it. With affinity flow the same two segments share a queue and are processed in order,
 * and nothing is left behind.
 */
final class FinAckRace implements Lesson {
    private static final int PORT = 5001;
    private static final int CLIENT_PORT = 40000;
    /** The CPU the client's kernel ACKs the server's FIN on (softirq, where that FIN was processed). */
    private static final int SOFTIRQ_CPU = 0;
    /** The CPU the client application closes on. */
    private static final int APPLICATION_CPU = 1;

    @Override
    public String name() {
        return "finack-race";
    }

    @Override
    public String title() {
        return "The FIN/ACK race: affinity none vs flow";
    }

    @Override
    public List<String> story() {
        return List.of(
                "The kernel selftest fin_ack_lat, with this stack as the server on two queues: the client"
                        + " connects from port 40000, sends 4 bytes; the server echoes them and closes first; the"
                        + " client reads the echo and the FIN, and closes with SO_LINGER 0. Its stack sends two"
                        + " segments back to back: the ACK of the server's FIN, then an RST.",
                "Affinity none (Linux without RSS, and tcpstack's default): a packet lands on the queue of the CPU"
                        + " that sent it, and the client's kernel sent the ACK in softirq on one CPU, its application"
                        + " the RST on another: two queues, two readers. Each looks the connection up, then takes its"
                        + " lock (as Linux does: tcp_v4_rcv, then bh_lock_sock). The RST's reader looked up first, but"
                        + " the ACK's reader got the lock: the ACK completes the server's FIN, and as the socket is"
                        + " orphaned it is replaced by a compact FIN-WAIT-2 record. When the RST's reader gets the"
                        + " lock, its connection is CLOSED: the RST is dropped (TCP_CLOSE, TcpExtStaleLookupDrop), and"
                        + " the record stays for fin-timeout.",
                "The client's next connect from port 40000 meets the record: its SYN (a new ISN, outside the record's"
                        + " window) is answered with an ACK of the old connection. In SYN-SENT that ACK is"
                        + " unacceptable: the client sends RST seq=SEG.ACK, which removes the record, and sends its"
                        + " SYN again (after 2 ms: timeout-min, Linux 5.6+; see the syn-sent lesson for 1 s).",
                "Affinity flow (RSS): one connection, one queue, in order. The ACK makes the record, the RST that"
                        + " follows removes it, and the reconnect is a plain handshake.",
                "$ tcpstack lesson run finack-race --html /tmp/race.html");
    }

    @Override
    public LadderModel run() {
        LessonNet.Stage stage = new LessonNet.Stage();
        stage.serverQueues = 2;
        try (LessonNet n = new LessonNet(stage)) {
            TcpServerSocket listener = n.listen(PORT);
            for (Affinity affinity : List.of(Affinity.NONE, Affinity.FLOW)) {
                n.server.settings().affinity = affinity;
                n.note("server affinity " + affinity.knobValue());
                round(n, listener);
                n.reconnect(listener, PORT, CLIENT_PORT);
            }
            return n.ladder(title());
        }
    }

    /** One fin_ack_lat round, up to the client's RST; the server's input is then raced. */
    private static void round(LessonNet n, TcpServerSocket listener) {
        n.resetRightAfterFinAck(n.echoThenServerCloses(listener, PORT, CLIENT_PORT));
        n.holdServerInput();
        n.run(n.oneWayMs());
        race(n, n.releaseServerInput());
    }

    /**
     * The client's ACK and RST, each on the queue of the CPU that sent it; the RST's reader looks
     * up first, and the ACK's reader runs to completion between its lookup and its lock.
     */
    private static void race(LessonNet n, List<ByteBuf> held) {
        if (held.size() < 2) {
            throw new IllegalStateException("expected the client's ACK and RST, got " + held.size() + " packets");
        }
        // what came before (the ACK of the echoed bytes) is processed as it comes
        for (ByteBuf earlier : held.subList(0, held.size() - 2)) {
            arrive(n, SOFTIRQ_CPU, earlier);
            n.server.inbound().drain();
        }
        int ackWorker = arrive(n, SOFTIRQ_CPU, held.get(held.size() - 2));
        int rstWorker = arrive(n, APPLICATION_CPU, held.get(held.size() - 1));
        held.forEach(ByteBuf::release);
        boolean[] interleaved = {false};
        n.server.setLookupObserver((queue, key) -> {
            if (queue == rstWorker && ackWorker != rstWorker && !interleaved[0]) {
                interleaved[0] = true;
                n.server.inbound().step(ackWorker);
            }
        });
        n.server.inbound().step(rstWorker);
        n.server.inbound().drain();
        n.server.setLookupObserver(null);
    }

    /** Queues {@code packet}, sent by the client on {@code cpu}, where the server's steering puts it. */
    private static int arrive(LessonNet n, int cpu, ByteBuf packet) {
        Steering steering = n.server.settings().affinity.steering();
        return n.server.inbound().enqueue(steering.queue(cpu, packet, n.server.inbound().queueCount()), packet);
    }
}
