package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Header work per segment: parse (IPv4 view, TCP view, options, the {@link Segment} fields TCP
 * input reads, as TcpLayer does) and emit (TCP header with timestamps, IPv4 header, both
 * checksums, as TcpOutput does for a pure ACK).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderBench {
    private static final int SRC = 0xc6120001;
    private static final int DST = 0xc6120002;

    ByteBuf packet;
    ByteBuf out;
    final Ipv4View ip = new Ipv4View();
    final Segment segment = new Segment();

    @Setup
    public void setup() {
        TcpSegment s = new TcpSegment(SRC, DST, 40000, 9, 1000, 2000, TcpView.ACK | TcpView.PSH, 501,
                TcpSegment.Options.timestamps(12345, 67890), new byte[1448]);
        packet = s.emit(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        out = Unpooled.directBuffer(64);
    }

    @Benchmark
    public int parse() {
        ip.wrap(packet, 0);
        segment.load(0, ip.source(), packet, ip.payloadOffset(), ip.payloadLength());
        return segment.seq + segment.ack + segment.window + segment.options.tsVal + segment.payloadLength;
    }

    @Benchmark
    public int emitAck() {
        int t = Ipv4View.MIN_HEADER_LENGTH;
        int length = TcpView.MIN_HEADER_LENGTH + TcpOptions.TIMESTAMP_LENGTH_ALIGNED;
        TcpView.writeHeader(out, t, 9, 40000, 2000, 2448, TcpOptions.TIMESTAMP_LENGTH_ALIGNED, TcpView.ACK, 501);
        TcpOptions.writeTimestamp(out, t + TcpView.MIN_HEADER_LENGTH, 777, 12345);
        TcpView.fillChecksum(out, t, length, DST, SRC);
        Ipv4View.writeHeader(out, 0, t + length, 0, true, 64, IpProtocol.TCP, DST, SRC);
        return out.getShort(t + 16);
    }
}
