package io.tcpstack.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.link.SimulatedNetwork;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;

/**
 * Two dual-stack hosts on one {@link SimulatedNetwork}, on virtual time: a client at {@link
 * #CLIENT} ({@link #CLIENT_ADDRESS6}) and a server at {@link #SERVER} ({@link #SERVER_ADDRESS6}). {@link #connect} opens a connection between them; {@link App} plays
 * an application on each end, driven from {@link SimulatedNetwork#runUntil}'s condition.
 */
public final class TwoStacks implements AutoCloseable {
    public static final String CLIENT_ADDRESS = "198.18.0.1";
    public static final String SERVER_ADDRESS = "198.18.0.2";
    public static final int CLIENT = Ipv4Address.parse(CLIENT_ADDRESS);
    public static final int SERVER = Ipv4Address.parse(SERVER_ADDRESS);
    public static final int SERVER_PORT = 80;
    public static final String CLIENT_ADDRESS6 = "2001:2::1";
    public static final String SERVER_ADDRESS6 = "2001:2::2";

    public final SimulatedNetwork net;
    public final TcpStack client;
    public final TcpStack server;
    /** {@link #connect} opens IPv6 connections. */
    private final boolean ipv6;
    private TcpServerSocket listener;

    public TwoStacks(long seed) {
        this(seed, new TcpSettings(), new TcpSettings());
    }

    /**
     * Two stacks on a network, every random choice (the network's and each stack's: ISNs, ports,
     * timestamp offsets, IP IDs) drawn from {@code seed}: the same seed gives the same run, byte
     * for byte.
     */
    public TwoStacks(long seed, TcpSettings clientSettings, TcpSettings serverSettings) {
        this(seed, clientSettings, serverSettings, false);
    }

    /** With {@code ipv6}, {@link #connect} goes to the server's IPv6 address. */
    public TwoStacks(long seed, TcpSettings clientSettings, TcpSettings serverSettings, boolean ipv6) {
        this.ipv6 = ipv6;
        net = new SimulatedNetwork(seed);
        client = stack(CLIENT_ADDRESS, CLIENT_ADDRESS6, clientSettings, seed * 31 + 1);
        server = stack(SERVER_ADDRESS, SERVER_ADDRESS6, serverSettings, seed * 31 + 2);
    }

    private TcpStack stack(String address, String address6, TcpSettings settings, long seed) {
        TcpStack stack = new TcpStack(StackConfig.builder().address(address).address(address6).seed(seed).build(),
                net.endpoint(address).alsoAt(address6), net.clock(), settings);
        net.attach(stack);
        stack.start();
        return stack;
    }

    /** Virtual time now, ms. */
    public long nowMillis() {
        return net.clock().millis();
    }

    /** Client and server ends of one connection. */
    public record Pair(Connection client, Connection server) {
    }

    /** Listens on {@link #SERVER_PORT}, connects and runs until the server accepted. */
    public Pair connect(long maxVirtualMillis) throws IOException {
        listener = server.listen(SERVER_PORT, 16);
        Connection c = ipv6 ? client.open(IpAddress.parse(SERVER_ADDRESS6), SERVER_PORT, 0)
                : client.open(SERVER, SERVER_PORT, 0);
        Connection[] accepted = new Connection[1];
        boolean up = net.runUntil(() -> c.state() == TcpState.ESTABLISHED
                && (accepted[0] != null || (accepted[0] = listener.poll()) != null), maxVirtualMillis);
        assertThat(up).as("handshake within %d ms", maxVirtualMillis).isTrue();
        return new Pair(c, accepted[0]);
    }

    /** The state {@code stack} lists (ss -tan) for the connection's 4-tuple; CLOSED when gone. */
    public static TcpState listedState(TcpStack stack, Connection c) {
        return stack.connections().stream()
                .filter(i -> i.state() != TcpState.LISTEN && i.localPort() == c.localPort()
                        && i.remotePort() == c.remotePort() && i.remoteAddress().equals(c.remoteAddress()))
                .map(ConnectionInfo::state).findFirst().orElse(TcpState.CLOSED);
    }

    public static long stat(TcpStack stack, Counter counter) {
        return stack.stats().get(counter);
    }

    /** {@code length} reproducible bytes: any loss, duplicate or misordering shows. */
    public static byte[] pattern(int length, long seed) {
        byte[] data = new byte[length];
        new SplittableRandom(seed).nextBytes(data);
        return data;
    }

    /** Fails with the first differing offset (not a megabyte of hex) when the bytes differ. */
    public static void assertSameBytes(byte[] expected, byte[] actual) {
        int n = Math.min(expected.length, actual.length);
        for (int i = 0; i < n; i++) {
            if (expected[i] != actual[i]) {
                throw new AssertionError("bytes differ first at offset " + i + " of " + expected.length);
            }
        }
        assertThat(actual.length).as("bytes received").isEqualTo(expected.length);
    }

    /**
     * An application on one end, non-blocking: sends its bytes, then ends its output (close() or
     * shutdown), reads everything to end of stream, and closes. {@link #pump} does what can be
     * done now and says whether the application has finished.
     */
    public static final class App {
        /** When the application ends its output. */
        public enum Finish {
            /** close() as soon as every byte is queued (it expects nothing back). */
            CLOSE_WHEN_SENT,
            /** shutdownOutput() when every byte is queued, close() after end of stream. */
            SHUTDOWN_WHEN_SENT,
            /** Ends its output only after end of stream (answers the peer's close). */
            AFTER_PEER
        }

        private final Connection conn;
        private final byte[] toSend;
        private final Finish finish;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final byte[] chunk = new byte[64 * 1024];
        private int written;
        private boolean outputEnded;
        private boolean eof;
        private boolean closed;

        public App(Connection conn, byte[] toSend, Finish finish) {
            this.conn = conn;
            this.toSend = toSend;
            this.finish = finish;
        }

        public boolean pump() {
            try {
                if (written < toSend.length) {
                    written += conn.write(toSend, written, toSend.length - written, false, 0);
                }
                int n;
                while (!eof && !closed && (n = conn.read(chunk, 0, chunk.length, false, 0)) != 0) {
                    if (n < 0) {
                        eof = true;
                    } else {
                        received.write(chunk, 0, n);
                    }
                }
            } catch (TcpException e) {
                throw new AssertionError(conn + " failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                throw new AssertionError("non-blocking call waited", e);
            }
            boolean sent = written == toSend.length;
            if (sent && !outputEnded && finish != Finish.AFTER_PEER) {
                outputEnded = true;
                if (finish == Finish.CLOSE_WHEN_SENT) {
                    conn.close();
                    closed = true;
                } else {
                    conn.shutdownOutput();
                }
            }
            if (sent && eof && !closed) {
                closed = true;
                conn.close();
            }
            return closed && (eof || finish == Finish.CLOSE_WHEN_SENT);
        }

        public byte[] received() {
            return received.toByteArray();
        }

        public Connection connection() {
            return conn;
        }
    }

    @Override
    public void close() {
        client.close();
        server.close();
        net.close();
    }
}
