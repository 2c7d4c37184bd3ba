package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One loss in a window of 16 segments: 15 arrive out of order and are held, then the missing one
 * fills the hole and everything drains into the receive buffer, which the application reads.
 * Per segment.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ReassemblyBench {
    private static final int MSS = 1448;
    private static final int WINDOW = 16;

    final ByteRing ring = new ByteRing(1 << 20);
    final Reassembly reassembly = new Reassembly();
    final byte[] app = new byte[WINDOW * MSS];
    ByteBuf segment;
    int rcvNxt;

    @Setup
    public void setup() {
        segment = Unpooled.directBuffer(MSS).writeZero(MSS);
    }

    @Benchmark
    @OperationsPerInvocation(WINDOW)
    public int lossAndRecovery() {
        for (int i = 1; i < WINDOW; i++) {
            reassembly.add(rcvNxt + i * MSS, MSS, rcvNxt, ring, segment, 0, true);
        }
        rcvNxt += ring.write(segment, 0, MSS);
        rcvNxt = reassembly.drainInto(rcvNxt, ring);
        return ring.read(app, 0, app.length);
    }
}
