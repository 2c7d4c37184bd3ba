package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** The Internet checksum over a full segment (1480 B), a TSO super-packet (64 KiB), direct and heap. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChecksumBench {
    @Param({"1480", "65516"})
    int length;

    ByteBuf direct;
    ByteBuf heap;

    @Setup
    public void setup() {
        byte[] data = new byte[length];
        new SplittableRandom(1).nextBytes(data);
        direct = Unpooled.directBuffer(length).writeBytes(data);
        heap = Unpooled.wrappedBuffer(data);
    }

    @TearDown
    public void release() {
        direct.release();
    }

    @Benchmark
    public int direct() {
        return Checksum.compute(direct, 0, length);
    }

    @Benchmark
    public int heap() {
        return Checksum.compute(heap, 0, length);
    }
}
