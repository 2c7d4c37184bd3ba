package io.tcpstack.examples.lessons;

import io.netty.buffer.ByteBuf;
import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.inbound.InboundQueues;
import io.tcpstack.link.ForwardingLink;
import io.tcpstack.link.Impairment;
import io.tcpstack.link.Link;
import io.tcpstack.link.SimulatedNetwork;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.trace.SegmentText;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.TraceLadder;
import io.tcpstack.wire.Ipv4Address;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The stage of a lesson: a client stack (198.18.0.1) and a server stack (198.18.0.2) on a
 * {@link SimulatedNetwork} with a one-way delay, both seeded (the same run every time) and both
 * traced, on virtual time. The lesson plays the applications from {@link #until}'s condition and
 * scripts the network; {@link #ladder} draws what happened.
 *
 * <p>With {@code serverQueues > 1} the server processes its input the way two worker threads
 * would ({@link InboundQueues.Mode#STEPPED}): in the normal course every packet is processed as it
 * arrives, but {@link #holdServerInput} keeps arriving packets back so the lesson can hand them to
 * the workers and interleave them itself.
 */
final class LessonNet implements AutoCloseable {
    static final String CLIENT_ADDRESS = "198.18.0.1";
    static final String SERVER_ADDRESS = "198.18.0.2";
    static final int CLIENT = Ipv4Address.parse(CLIENT_ADDRESS);
    static final int SERVER = Ipv4Address.parse(SERVER_ADDRESS);
    /** Most virtual time a lesson step may take before the lesson is broken (nothing is real time). */
    private static final long STEP_LIMIT_MS = 200_000;

    final SimulatedNetwork net;
    final TcpStack client;
    final TcpStack server;
    private final List<TraceEvent> clientEvents = new ArrayList<>();
    private final List<TraceEvent> serverEvents = new ArrayList<>();
    private final HoldingLink serverLink;
    private final Stage stage;

    /** How the stage is set up; the defaults are a plain LAN with 5 ms each way. */
    static final class Stage {
        long seed = 15;
        long oneWayMs = 5;
        int serverMtu = SimulatedNetwork.DEFAULT_MTU;
        int serverQueues = 1;
        TcpSettings clientSettings = new TcpSettings();
        TcpSettings serverSettings = new TcpSettings();
        String clientLabel = "client " + CLIENT_ADDRESS;
        String serverLabel = "server " + SERVER_ADDRESS;
    }

    LessonNet(Stage stage) {
        this.stage = stage;
        net = new SimulatedNetwork(stage.seed);
        net.impair(Impairment.NONE.withLatency(Duration.ofMillis(stage.oneWayMs)));
        client = new TcpStack(StackConfig.builder().address(CLIENT_ADDRESS).seed(stage.seed).build(),
                net.endpoint(CLIENT_ADDRESS), net.clock(), stage.clientSettings);
        serverLink = new HoldingLink(net.endpoint(SERVER, stage.serverQueues, stage.serverMtu));
        server = new TcpStack(StackConfig.builder().address(SERVER_ADDRESS).seed(stage.seed + 1)
                .inboundMode(stage.serverQueues > 1 ? InboundQueues.Mode.STEPPED : InboundQueues.Mode.INLINE).build(),
                serverLink, net.clock(), stage.serverSettings);
        client.tracer().setListener(clientEvents::add);
        server.tracer().setListener(serverEvents::add);
        net.addObserver(this::lost);
        net.attach(client);
        net.attach(server);
        client.start();
        server.start();
    }

    /** A packet the network lost or dropped becomes a note in its sender's trace: the ladder shows it lost. */
    private void lost(SimulatedNetwork.PacketEvent event, long nowNanos, ByteBuf packet) {
        if (event != SimulatedNetwork.PacketEvent.LOST && event != SimulatedNetwork.PacketEvent.DROPPED) {
            return;
        }
        TcpStack sender = packet.getInt(packet.readerIndex() + 12) == CLIENT ? client : server;
        sender.tracer().emit(new TraceEvent(nowNanos, TraceEvent.Kind.NOTE, SegmentText.endpoints(packet),
                "network (" + (event == SimulatedNetwork.PacketEvent.LOST ? "random loss" : "the lesson's drop rule")
                        + ") dropped sent " + SegmentText.ofPacket(packet), DropReason.FAULT_INJECTED.name(), null));
    }

    static LessonNet standard() {
        return new LessonNet(new Stage());
    }

    long oneWayMs() {
        return stage.oneWayMs;
    }

    long nowMs() {
        return net.clock().millis();
    }

    /**
     * Runs the network until {@code done} holds (checked after every event, so it may play the
     * applications); IllegalStateException if it does not within a generous virtual time.
     */
    void until(String what, BooleanSupplier done) {
        boolean ok = net.runUntil(() -> {
            drainServer();
            return done.getAsBoolean();
        }, STEP_LIMIT_MS);
        if (!ok) {
            throw new IllegalStateException("the lesson never reached: " + what);
        }
    }

    /** Runs {@code ms} of virtual time; {@code apps} plays the applications after every event. */
    void run(long ms, Runnable apps) {
        long end = nowMs() + ms;
        net.runUntil(() -> {
            drainServer();
            apps.run();
            return false;
        }, ms);
        if (nowMs() < end) {
            net.runForMillis(end - nowMs());
        }
    }

    void run(long ms) {
        run(ms, () -> { });
    }

    private void drainServer() {
        if (!serverLink.holding && server.inbound() != null) {
            server.inbound().drain();
        }
    }

    /** From now on, packets for the server wait in {@link #heldForServer} instead of being processed. */
    void holdServerInput() {
        serverLink.holding = true;
    }

    /** Packets held for the server (copies, in arrival order); processing resumes normally after this. */
    List<ByteBuf> releaseServerInput() {
        serverLink.holding = false;
        List<ByteBuf> held = new ArrayList<>(serverLink.held);
        serverLink.held.clear();
        return held;
    }

    /** A heading in the ladder: a note on the client's lane. */
    void note(String text) {
        client.tracer().emit(new TraceEvent(net.clock().nanos(), TraceEvent.Kind.NOTE, "-", text));
    }

    LadderModel ladder(String title) {
        return TraceLadder.build(title, List.of(
                new TraceLadder.Host(CLIENT_ADDRESS, stage.clientLabel, clientEvents),
                new TraceLadder.Host(SERVER_ADDRESS, stage.serverLabel, serverEvents)), false);
    }

    // ---- applications

    TcpServerSocket listen(int port) {
        try {
            return server.listen(port, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Connection connect(int port, int localPort) {
        return open(client, SERVER, port, localPort);
    }

    static Connection open(TcpStack stack, int address, int port, int localPort) {
        try {
            return stack.open(address, port, localPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * 20 ms later, the client connects again from {@code localPort}; once the server accepted, the
     * client resets the connection (SO_LINGER 0), which leaves nothing behind.
     */
    void reconnect(TcpServerSocket listener, int port, int localPort) {
        run(20);
        Connection again = connect(port, localPort);
        until("the reconnect is established", () -> again.state() == TcpState.ESTABLISHED && listener.poll() != null);
        again.setLingerZero(true);
        again.close();
        run(20);
    }

    /**
     * The fin_ack_lat selftest's round up to the server's close: the client connects from
     * {@code localPort} and sends 4 bytes, the server echoes them and closes first.
     */
    Connection echoThenServerCloses(TcpServerSocket listener, int port, int localPort) {
        Connection c = connect(port, localPort);
        Exchange e = new Exchange(c, listener, 4, 4);
        until("the echo arrived", e::done);
        e.s.close();
        return c;
    }

    /**
     * The client reads to the end of stream and closes with SO_LINGER 0 (an RST) the moment its
     * ACK of the server's FIN goes (delayed, as Linux delays it in pingpong mode): the two leave
     * together, the ACK first, as the fin_ack_lat selftest's do.
     */
    void resetRightAfterFinAck(Connection c) {
        c.setLingerZero(true);
        long delayed = client.stats().get(Counter.TcpExtDelayedACKs);
        boolean[] eof = {false};
        until("the client's ACK of the server's FIN", () -> {
            eof[0] = eof[0] || read(c, 16) < 0;
            return eof[0] && client.stats().get(Counter.TcpExtDelayedACKs) > delayed;
        });
        c.close();
    }

    /** The client closes; once the server's application has read the end of stream, it closes too. */
    void closeBoth(Connection clientSide, Connection serverSide) {
        clientSide.close();
        until("the server read the end of stream", () -> read(serverSide, 65536) < 0);
        serverSide.close();
        run(50);
    }

    /** Queues what fits of {@code data} from {@code offset}; returns the new offset. */
    static int write(Connection c, byte[] data, int offset) {
        try {
            return offset + c.write(data, offset, data.length - offset, false, 0);
        } catch (TcpException e) {
            throw new IllegalStateException(c + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Reads what is there; returns the bytes read, -1 at end of stream. */
    static int read(Connection c, int max) {
        try {
            return c.read(new byte[max], 0, max, false, 0);
        } catch (TcpException e) {
            throw new IllegalStateException(c + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * One request and answer: {@code c} sends {@code request} bytes, the server's side {@code s}
     * reads them and answers {@code answer} bytes; returns whether both arrived (call it from
     * {@link #until} until it does).
     */
    static final class Exchange {
        private final Connection c;
        private final TcpServerSocket listener;
        private final byte[] request;
        private final byte[] answer;
        Connection s;
        private int sent;
        private int got;
        private int answered;
        private int back;

        Exchange(Connection c, TcpServerSocket listener, int request, int answer) {
            this.c = c;
            this.listener = listener;
            this.request = new byte[request];
            this.answer = new byte[answer];
        }

        boolean done() {
            if (s == null) {
                s = listener.poll();
            }
            if (c.state().isSynchronized() && sent < request.length) {
                sent = write(c, request, sent);
            }
            if (s != null && got < request.length) {
                got += Math.max(read(s, request.length - got), 0);
            }
            if (got == request.length && answered < answer.length) {
                answered = write(s, answer, answered);
            }
            if (back < answer.length) {
                back += Math.max(read(c, answer.length - back), 0);
            }
            return back == answer.length;
        }
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        client.close();
        server.close();
        net.close();
    }

    /** The server's link: passes packets on, or (while holding) keeps copies for the lesson. */
    private static final class HoldingLink extends ForwardingLink {
        final List<ByteBuf> held = new ArrayList<>();
        boolean holding;

        HoldingLink(Link link) {
            super(link);
        }

        @Override
        public void send(int queue, ByteBuf packet) {
            link.send(queue, packet);
        }

        @Override
        protected boolean received(int queue, ByteBuf packet) {
            if (holding) {
                held.add(packet.copy());
            }
            return !holding;
        }
    }
}
