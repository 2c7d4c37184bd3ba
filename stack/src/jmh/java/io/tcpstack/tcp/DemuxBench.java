package io.tcpstack.tcp;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.VirtualClock;
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

/** The 4-tuple lookup of every inbound segment, in a table of 10 or 100,000 connections. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DemuxBench {
    @Param({"10", "100000"})
    int connections;

    final Demux demux = new Demux();
    TcpStack stack;
    long[] keys;
    int next;

    @Setup
    public void setup() {
        stack = new TcpStack(StackConfig.builder().address("198.18.0.2").build(), new SegmentPathBench.SinkLink(),
                new VirtualClock(1_000_000_000L), new TcpSettings());
        keys = new long[connections];
        for (int i = 0; i < connections; i++) {
            int remote = 0xc6120001 + (i >>> 14);
            int port = 1024 + (i & 0x3fff);
            keys[i] = Demux.key(remote, port, 80);
            demux.putIfAbsent(keys[i], new Tcb(stack.tcp(), 0xc6120002, 80, remote, port));
        }
    }

    @TearDown
    public void tearDown() {
        stack.close();
    }

    @Benchmark
    public Object lookup() {
        long key = keys[next];
        next = next + 1 == keys.length ? 0 : next + 1;
        return demux.get(key);
    }
}
