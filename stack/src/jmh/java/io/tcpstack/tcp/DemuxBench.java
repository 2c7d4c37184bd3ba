package io.tcpstack.tcp;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The 4-tuple lookup of every inbound segment, in a table of 10 or 100,000 connections. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DemuxBench {
    @Param({"10", "100000"})
    int connections;

    final Demux demux = new Demux();
    long[] keys;
    int next;

    @Setup
    public void setup() {
        keys = new long[connections];
        for (int i = 0; i < connections; i++) {
            keys[i] = Demux.key(0xc6120001 + (i >>> 14), 1024 + (i & 0x3fff), 80);
            demux.putIfAbsent(keys[i], new Object());
        }
    }

    @Benchmark
    public Object lookup() {
        long key = keys[next];
        next = next + 1 == keys.length ? 0 : next + 1;
        return demux.get(key);
    }
}
