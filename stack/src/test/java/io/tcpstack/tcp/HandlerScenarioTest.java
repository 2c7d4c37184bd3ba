package io.tcpstack.tcp;

import static io.tcpstack.testing.TwoStacks.SERVER;
import static io.tcpstack.testing.TwoStacks.assertSameBytes;
import static io.tcpstack.testing.TwoStacks.pattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpHandler;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.link.Impairment;
import io.tcpstack.link.SimulatedNetwork.PacketEvent;
import io.tcpstack.testing.TwoStacks;
import io.tcpstack.testing.TwoStacks.App;
import io.tcpstack.testing.TwoStacks.App.Finish;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Event-driven applications ({@link TcpHandler}, acceptor listeners) on virtual time: when the
 * handler runs, what it sees, and the packets its answers make.
 */
class HandlerScenarioTest {
    private static final int PORT = 7000;
    private TwoStacks s;
    /** The server's and the client's segments, in the order they were sent. */
    private final List<TcpSegment> fromServer = new ArrayList<>();
    private final List<TcpSegment> fromClient = new ArrayList<>();

    @BeforeEach
    void start() {
        s = new TwoStacks(1);
        s.net.impair(Impairment.NONE.withLatency(Duration.ofMillis(1)));
        s.net.addObserver((event, nanos, packet) -> {
            if (event == PacketEvent.SENT) {
                TcpSegment seg = TcpSegment.parse(packet);
                (seg.src() == SERVER ? fromServer : fromClient).add(seg);
            }
        });
    }

    @AfterEach
    void close() {
        s.close();
    }

    /** A server that answers each line with "got " + the line and closes after the first. */
    private static final class AnswerOnce implements TcpHandler {
        final ByteArrayOutputStream request = new ByteArrayOutputStream();
        final List<String> seen = new ArrayList<>();
        int calls;

        @Override
        public void onChange(Connection c) {
            calls++;
            byte[] buf = new byte[100];
            try {
                int n;
                while ((n = c.readNow(buf, 0, buf.length)) > 0) {
                    request.write(buf, 0, n);
                }
                seen.add(n < 0 ? "eof" : c.state().toString());
                String line = request.toString(StandardCharsets.US_ASCII);
                if (line.endsWith("\n")) {
                    byte[] answer = ("got " + line).getBytes(StandardCharsets.US_ASCII);
                    assertThat(c.writeNow(answer, 0, answer.length)).isEqualTo(answer.length);
                    c.close();
                }
            } catch (TcpException e) {
                seen.add(e.error().name());
            }
        }
    }

    private Connection clientSends(String text) throws IOException {
        Connection c = s.client.open(SERVER, PORT, 0);
        assertThat(s.net.runUntil(() -> c.state() == TcpState.ESTABLISHED, 1000)).isTrue();
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        assertThat(c.writeNow(bytes, 0, bytes.length)).isEqualTo(bytes.length);
        return c;
    }

    @Test
    void the_acceptor_gets_the_connection_and_the_answer_carries_the_ack_and_the_fin_in_one_segment()
            throws IOException {
        AnswerOnce handler = new AnswerOnce();
        List<Connection> accepted = new ArrayList<>();
        s.server.listen(PORT, 16, c -> {
            accepted.add(c);
            return handler;
        });
        Connection c = clientSends("ping\n");
        App client = new App(c, new byte[0], Finish.AFTER_PEER);
        assertThat(s.net.runUntil(client::pump, 1000)).isTrue();
        s.net.runForMillis(10);

        assertThat(new String(client.received(), StandardCharsets.US_ASCII)).isEqualTo("got ping\n");
        assertThat(accepted).hasSize(1);
        assertThat(accepted.get(0).remotePort()).isEqualTo(c.localPort());
        // SYN-ACK, then the answer: data, PSH, FIN and the ACK of the request in one segment (no
        // pure ACK of the request first, no bare FIN after), then the ACK of the client's FIN
        assertThat(fromServer).hasSize(3);
        TcpSegment answer = fromServer.get(1);
        assertThat(answer.payloadLength()).isEqualTo("got ping\n".length());
        assertThat(answer.flags()).isEqualTo(TcpView.ACK | TcpView.PSH | TcpView.FIN);
        TcpSegment request = fromClient.stream().filter(seg -> seg.payloadLength() > 0).findFirst().orElseThrow();
        assertThat(answer.ack()).isEqualTo(request.seq() + request.payloadLength());
        assertThat(fromServer.get(2).flags()).isEqualTo(TcpView.ACK);
        // it ran when accepted (nothing to read yet), then once for the request, which it closed
        assertThat(handler.seen).containsExactly("ESTABLISHED", "ESTABLISHED");
        assertThat(s.server.connections()).filteredOn(i -> i.state() == TcpState.TIME_WAIT).hasSize(1);
    }

    @Test
    void a_handler_set_after_the_data_arrived_runs_at_once_and_sees_end_of_stream_later() throws IOException {
        TcpServerSide server = new TcpServerSide();
        Connection c = clientSends("early");
        s.net.runForMillis(10);
        Connection accepted = s.server.tcp().listeners().pollAccept(server.listener);
        assertThat(accepted).isNotNull();
        List<String> seen = new ArrayList<>();
        byte[] buf = new byte[16];
        accepted.setHandler(conn -> {
            try {
                int n = conn.readNow(buf, 0, buf.length);
                seen.add(n < 0 ? "eof" : new String(buf, 0, n, StandardCharsets.US_ASCII));
            } catch (TcpException e) {
                seen.add(e.error().name());
            }
        });
        assertThat(seen).containsExactly("early");
        c.close();
        s.net.runForMillis(10);
        assertThat(seen).containsExactly("early", "eof");
    }

    /** The server end through the blocking-style API: a listener with an accept queue. */
    private final class TcpServerSide {
        final Listener listener = s.server.tcp().listeners().listen(PORT, 16);
    }

    @Test
    void a_reset_reaches_the_handler_as_the_error_and_close_stops_it() throws IOException {
        List<String> seen = new ArrayList<>();
        Connection[] server = new Connection[1];
        s.server.listen(PORT, 16, accepted -> {
            server[0] = accepted;
            return conn -> {
                try {
                    seen.add(String.valueOf(conn.readNow(new byte[8], 0, 8)));
                } catch (TcpException e) {
                    seen.add(e.error().name());
                }
            };
        });
        Connection c = clientSends("x");
        s.net.runForMillis(10);
        assertThat(seen).containsExactly("0", "1"); // accepted, then the byte
        c.abort();
        s.net.runForMillis(10);
        assertThat(seen).containsExactly("0", "1", "CONNECTION_RESET");
        assertThat(server[0].isClosed()).isTrue();

        // close() takes the handler away: a second connection's data after close wakes nothing
        seen.clear();
        Connection c2 = clientSends("y");
        s.net.runForMillis(10);
        assertThat(seen).containsExactly("0", "1");
        server[0].close();
        byte[] more = {'z'};
        c2.writeNow(more, 0, 1);
        s.net.runForMillis(10);
        assertThat(seen).containsExactly("0", "1");
    }

    @Test
    void a_handler_that_throws_aborts_its_connection_and_the_peer_sees_the_reset() throws IOException {
        s.server.listen(PORT, 16, accepted -> conn -> {
            throw new IllegalStateException("application bug");
        });
        Connection c = clientSends("boom");
        s.net.runForMillis(10);
        assertThat(c.state()).isEqualTo(TcpState.CLOSED);
        assertThat(c.error()).isEqualTo(TcpError.CONNECTION_RESET);
        assertThat(fromServer.get(fromServer.size() - 1).has(TcpView.RST)).isTrue();
    }

    @Test
    void a_large_answer_goes_out_as_acks_free_the_send_buffer() throws IOException {
        s.server.settings().wmem = new io.tcpstack.profile.BufferSizes(4096, 16384, 64 * 1024);
        byte[] data = pattern(1 << 20, 9); // 16 send buffers: many writable events
        AtomicInteger calls = new AtomicInteger();
        s.server.listen(PORT, 16, accepted -> new TcpHandler() {
            int sent;

            @Override
            public void onChange(Connection conn) {
                calls.incrementAndGet();
                try {
                    conn.readNow(new byte[2], 0, 2); // the request, read before the close (unread data would reset)
                    sent += conn.writeNow(data, sent, data.length - sent);
                    if (sent == data.length) {
                        conn.close();
                    }
                } catch (TcpException e) {
                    throw new AssertionError(e);
                }
            }
        });
        Connection c = clientSends("go");
        App client = new App(c, new byte[0], Finish.AFTER_PEER);
        assertThat(s.net.runUntil(client::pump, 60_000)).isTrue();
        assertSameBytes(data, client.received());
        assertThat(calls.get()).isGreaterThan(16);
    }

    /** A connection the server accepted (accept queue) with one byte waiting. */
    private Connection acceptedWithData() throws IOException {
        TcpServerSide server = new TcpServerSide();
        clientSends("a");
        s.net.runForMillis(10);
        return s.server.tcp().listeners().pollAccept(server.listener);
    }

    /**
     * A handler whose first run blocks until {@link #release()}: records the threads it ran on
     * and the most runs at once.
     */
    private static final class BlockingFirstRun implements TcpHandler {
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger mostAtOnce = new AtomicInteger();
        final List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile boolean armed;

        @Override
        public void onChange(Connection conn) {
            if (!armed) {
                return;
            }
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            threads.add(Thread.currentThread().getName());
            if (threads.size() == 1) {
                inside.countDown();
                try {
                    released.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            running.decrementAndGet();
        }

        /** Starts {@code firstRun} on a thread named "first" and waits until it is inside the handler. */
        Thread startBlocked(Runnable firstRun) throws InterruptedException {
            armed = true;
            Thread first = new Thread(firstRun, "first");
            first.start();
            assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
            return first;
        }

        void release(Thread first) throws InterruptedException {
            released.countDown();
            first.join(5000);
        }
    }

    @Test
    void one_connection_s_handler_never_runs_on_two_threads_at_once() throws Exception {
        Connection accepted = acceptedWithData();
        BlockingFirstRun handler = new BlockingFirstRun();
        Thread first = handler.startBlocked(() -> accepted.setHandler(handler));
        // a change on another thread while the handler runs: it is not run there, but again on "first"
        Thread second = new Thread(accepted::shutdownOutput, "second");
        second.start();
        second.join(5000);
        assertThat(second.isAlive()).isFalse();
        assertThat(handler.threads).containsExactly("first");
        handler.release(first);
        assertThat(handler.threads).containsExactly("first", "first");
        assertThat(handler.mostAtOnce.get()).isEqualTo(1);
    }

    /**
     * Two threads' bursts woke one connection: the second must enlist it even while the first is
     * still in its flush, running the handler (it used to find it marked pending until the
     * first thread's deferred ACKs were done, and the change was never seen: two workers with
     * affinity none left HTTP requests unanswered).
     */
    @Test
    void a_wake_from_another_burst_during_a_flush_runs_the_handler_again() throws Exception {
        Connection accepted = acceptedWithData();
        Tcb tcb = ((TcpConnection) accepted).tcb();
        BlockingFirstRun handler = new BlockingFirstRun();
        accepted.setHandler(handler); // not armed yet: runs, does nothing
        Thread first = handler.startBlocked(() -> burstThatWakes(tcb));
        burstThatWakes(tcb); // the test thread's burst, while "first" is inside its flush
        assertThat(handler.threads).containsExactly("first");
        handler.release(first);
        assertThat(handler.threads).containsExactly("first", "first");
    }

    /** What a reader's burst does for a segment that gave {@code tcb} data: defer, wake, flush. */
    private static void burstThatWakes(Tcb tcb) {
        Wakeups.defer();
        tcb.lock.lock();
        try {
            Wakeups.wake(tcb);
        } finally {
            tcb.lock.unlock();
        }
        Wakeups.flush();
    }
}
