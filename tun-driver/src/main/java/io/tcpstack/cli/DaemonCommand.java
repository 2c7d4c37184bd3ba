package io.tcpstack.cli;

import io.tcpstack.daemon.Daemon;
import io.tcpstack.daemon.DaemonOptions;
import io.tcpstack.examples.Services;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Profile;
import io.tcpstack.profile.SynResend;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code tcpstack daemon}: the stack on a TUN device, in the foreground, until SIGINT/SIGTERM. */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = "Run the stack on a TUN device (attach or create it) with the demo services.")
final class DaemonCommand implements Callable<Integer> {

    @Option(names = "--dev", defaultValue = "tun0", description = "TUN device (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--addr", defaultValue = "198.18.0.2", description = "the stack's IPv4 address (default: ${DEFAULT-VALUE})")
    String address;

    @Option(names = "--queues", defaultValue = "2", description = "TUN queues, one reader thread each (default: ${DEFAULT-VALUE})")
    int queues;

    @Option(names = "--pcap", description = "record every packet, both directions, to this pcap file")
    Path pcap;

    @Option(names = "--services", defaultValue = "echo:7,discard:9,http:80",
            description = "services to host, NAME:PORT,... of echo, discard, http (default: ${DEFAULT-VALUE}; '' for none)")
    String services;

    @Option(names = "--profile", description = "behaviour profile: linux-5.5, linux-5.6 (default), linux-4.9, rss")
    Profile profile;

    @Option(names = "--affinity", description = "inbound flow affinity: none (default) or flow")
    Affinity affinity;

    @Option(names = "--syn-resend", description = "SYN resend after an unacceptable ACK in SYN-SENT: rto-init or timeout-min")
    SynResend synResend;

    @Option(names = "--port-range", description = "local port range for connect, LOW-HIGH (default 32768-60999)")
    String portRange;

    @Option(names = "--log-level", defaultValue = "info", description = "error, warn, info, debug, trace (default: ${DEFAULT-VALUE})")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        Knobs.configureLogging(logLevel);
        DaemonOptions options = new DaemonOptions(device, address, queues, pcap, Services.parse(services), profile,
                affinity, synResend, portRange == null ? null : Knobs.portRange(portRange));
        CountDownLatch stop = new CountDownLatch(1);
        // Replacing the JVM's handlers makes SIGTERM/SIGINT a clean stop with exit status 0.
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        try (Daemon daemon = Daemon.start(options)) {
            System.out.println(daemon.readyLine());
            System.out.flush();
            stop.await();
        }
        return 0;
    }
}
