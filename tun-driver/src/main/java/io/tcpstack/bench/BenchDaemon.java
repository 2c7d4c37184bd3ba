package io.tcpstack.bench;

import io.netty.util.ResourceLeakDetector;
import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.daemon.services.ServiceSpec;
import io.tcpstack.daemon.services.Services;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.time.Clock;
import io.tcpstack.tun.TunDevice;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The stack as {@code scripts/bench/run.sh} runs it: the daemon's services on a TUN device, with
 * the link options the benchmarks compare (TUN offloads). Stops on SIGTERM, or after
 * {@code --max-seconds}, and then prints the device and stack counters as one JSON object.
 */
@Command(name = "bench-daemon", mixinStandardHelpOptions = true,
        description = "The stack with its services on a TUN device, for scripts/bench/run.sh.")
public final class BenchDaemon implements Callable<Integer> {

    @Option(names = "--dev", defaultValue = "tun0", description = "TUN device (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--addr", defaultValue = "198.18.0.2", description = "the stack's address (default: ${DEFAULT-VALUE})")
    String address;

    @Option(names = "--queues", defaultValue = "1", description = "TUN queues (default: ${DEFAULT-VALUE})")
    int queues;

    @Option(names = "--affinity", defaultValue = "flow", converter = AffinityConverter.class,
            description = "inbound flow affinity: none, flow or spray (default: ${DEFAULT-VALUE})")
    Affinity affinity;

    @Option(names = "--offload", description = "virtio-net header with checksum offload and TSO on the TUN device")
    boolean offload;

    @Option(names = "--busy-poll", defaultValue = "0",
            description = "microseconds the TUN reader keeps reading after a burst (default: ${DEFAULT-VALUE})")
    int busyPollMicros;

    @Option(names = "--services", defaultValue = "echo:7,discard:9,http:80,chargen:19",
            description = "services (default: ${DEFAULT-VALUE})")
    String services;

    @Option(names = "--max-seconds", defaultValue = "600", description = "stop by itself after this long (default: ${DEFAULT-VALUE})")
    long maxSeconds;

    static final class AffinityConverter implements CommandLine.ITypeConverter<Affinity> {
        @Override
        public Affinity convert(String value) {
            return Affinity.parse(value);
        }
    }

    public static void main(String[] args) {
        // a long-running daemon does not sample its buffers for leaks: netty's default records a
        // stack trace for one allocation in 128 (JMH SegmentPathBench: most of what was left)
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        System.exit(new CommandLine(new BenchDaemon()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        TcpSettings settings = new TcpSettings();
        settings.affinity = affinity;
        TunDevice tun = TunDevice.open(device, queues, offload);
        tun.setBusyPollMicros(busyPollMicros);
        TcpStack stack = new TcpStack(StackConfig.builder().address(address).build(), tun, Clock.system(), settings);
        stack.start();
        String steering = tun.steering();
        Services hosted = Services.start(stack, ServiceSpec.parse(services));
        CountDownLatch stop = new CountDownLatch(1);
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> stop.countDown());
        System.out.println("bench daemon ready: dev=" + device + " queues=" + queues + " affinity=" + affinity.knobValue()
                + " steering=" + steering + " offload=" + offload
                + " busy-poll=" + busyPollMicros + "us"
                + " mtu=" + tun.mtu() + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        stop.await(maxSeconds, java.util.concurrent.TimeUnit.SECONDS);
        hosted.close();
        stack.close();
        StringBuilder perQueue = new StringBuilder();
        for (int q = 0; q < queues; q++) {
            perQueue.append(q == 0 ? "" : ",").append(stack.inbound().received(q));
        }
        System.out.println(String.format(Locale.ROOT,
                "{\"rx_packets\":%d,\"rx_super_packets\":%d,\"rx_unsupported\":%d,\"tx_packets\":%d,\"tx_errors\":%d,\"tx_batches\":%d,"
                        + "\"tcp_in_segs\":%d,\"tcp_out_segs\":%d,\"tcp_retrans_segs\":%d,\"ip_in_discards\":%d,"
                        + "\"ofo_queued\":%d,\"paws_estab\":%d,\"stale_lookup_drops\":%d,\"rx_per_queue\":[%s],"
                        + "\"steering\":\"%s\"}",
                tun.rxPackets(), tun.rxSuperPackets(), tun.rxUnsupported(), tun.txPackets(), tun.txErrors(), tun.txBatches(),
                stack.stats().get(Counter.TcpInSegs), stack.stats().get(Counter.TcpOutSegs),
                stack.stats().get(Counter.TcpRetransSegs), stack.stats().get(Counter.IpInDiscards),
                stack.stats().get(Counter.TcpExtTCPOFOQueue), stack.stats().get(Counter.TcpExtPAWSEstab),
                stack.stats().get(Counter.TcpExtStaleLookupDrop), perQueue, steering));
        return 0;
    }
}
