package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.TcpStack;
import io.tcpstack.inbound.InboundQueues;
import io.tcpstack.link.Link;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A full segment on a simulated link, in to ACK out: an established connection (handshake
 * injected at setup) receives an in-order 1448-byte segment (IPv4 validation, TCP checksum,
 * demux, the state machine, the receive buffer), every second one is ACKed (a pooled buffer,
 * header, options, checksums, the link's send) and the application reads the data. The
 * {@code gc} profiler's {@code gc.alloc.rate.norm} is the allocation per segment.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SegmentPathBench {
    private static final int STACK = Ipv4Address.parse("198.18.0.2");
    private static final int PEER = Ipv4Address.parse("198.18.0.1");
    private static final int PORT = 9;
    private static final int PEER_PORT = 40000;
    private static final int MSS = 1448;
    private static final int TCP = 20;

    /** A link that releases what the stack sends, keeping the last segment while asked to. */
    static final class SinkLink implements Link {
        boolean capture;
        TcpSegment last;
        long sent;

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public ByteBufAllocator alloc() {
            return PooledByteBufAllocator.DEFAULT;
        }

        @Override
        public void send(int queue, ByteBuf packet) {
            if (capture) {
                last = TcpSegment.parse(packet);
            }
            sent++;
            packet.release();
        }

        @Override
        public void start(PacketReceiver receiver) {
        }

        @Override
        public void close() {
        }
    }

    final SinkLink link = new SinkLink();
    final byte[] app = new byte[64 * 1024];
    TcpStack stack;
    InboundQueues input;
    TcpConnection connection;
    ByteBuf packet;
    int seq;
    /** A pure ACK from the peer, its acknowledgement number moved on per segment we send. */
    ByteBuf ack;
    int ackNo;

    @Setup
    public void setup() throws IOException {
        stack = new TcpStack(StackConfig.builder().address(STACK).inboundMode(InboundQueues.Mode.INLINE).build(), link,
                new VirtualClock(1_000_000_000L), new TcpSettings());
        stack.start();
        input = stack.inbound();
        TcpServerSocket server = stack.listen(PORT, 16);
        int isn = 1_000_000;
        link.capture = true;
        inject(new TcpSegment(PEER, STACK, PEER_PORT, PORT, isn, 0, TcpView.SYN, 65535,
                TcpSegment.Options.syn(1460, 7, true, 100L, 0L), new byte[0]));
        TcpSegment synAck = link.last;
        long tsEcr = synAck.options().tsVal();
        inject(new TcpSegment(PEER, STACK, PEER_PORT, PORT, isn + 1, synAck.seq() + 1, TcpView.ACK, 512,
                TcpSegment.Options.timestamps(101, tsEcr), new byte[0]));
        link.capture = false;
        connection = server.poll();
        seq = isn + 1;
        packet = new TcpSegment(PEER, STACK, PEER_PORT, PORT, seq, synAck.seq() + 1, TcpView.ACK | TcpView.PSH, 512,
                TcpSegment.Options.timestamps(102, tsEcr), new byte[MSS]).emit(PooledByteBufAllocator.DEFAULT);
        ackNo = synAck.seq() + 1;
        ack = new TcpSegment(PEER, STACK, PEER_PORT, PORT, seq, ackNo, TcpView.ACK, 8192,
                TcpSegment.Options.timestamps(102, tsEcr), new byte[0]).emit(PooledByteBufAllocator.DEFAULT);
    }

    private void inject(TcpSegment segment) {
        ByteBuf p = segment.emit(PooledByteBufAllocator.DEFAULT);
        input.receive(0, p);
        p.release();
    }

    @TearDown
    public void tearDown() {
        packet.release();
        ack.release();
        stack.close();
    }

    /** Sets the 32-bit field at {@code offset} of a TCP segment, its checksum updated in place (RFC 1624). */
    private static void setField(ByteBuf p, int offset, int value) {
        int checksum = p.getUnsignedShort(TCP + 16);
        int old = p.getInt(TCP + offset);
        checksum = Checksum.update(checksum, old >>> 16, value >>> 16);
        checksum = Checksum.update(checksum, old & 0xffff, value & 0xffff);
        p.setInt(TCP + offset, value);
        p.setShort(TCP + 16, checksum);
    }

    @Benchmark
    public long segmentInAckOut() throws Exception {
        setField(packet, 4, seq);
        input.receive(0, packet);
        seq += MSS;
        connection.read(app, 0, app.length, false, 0);
        return link.sent;
    }

    /**
     * The other direction: the application writes a segment's worth, the stack sends it (a pooled
     * buffer, header, timestamps, the data copied from the send buffer, checksums, the retransmit
     * queue's record, the link's send), and the peer's ACK of it comes back (the ACK path, the
     * record taken off the queue, the congestion window).
     */
    @Benchmark
    public long segmentOutAckIn() throws Exception {
        connection.writeNow(app, 0, MSS);
        ackNo += MSS;
        setField(ack, 8, ackNo);
        input.receive(0, ack);
        return link.sent;
    }
}
