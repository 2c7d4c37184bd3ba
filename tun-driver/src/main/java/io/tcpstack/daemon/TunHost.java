package io.tcpstack.daemon;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.link.FaultRule;
import io.tcpstack.link.PcapLink;
import io.tcpstack.link.PcapWriter;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.trace.Tracer;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.wire.IpAddress;
import java.io.IOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started stack on a TUN device, with its decorators: device -> pcap (what the wire saw) ->
 * fault injector (what the stack sent and received; its rules change at run time). Closing stops
 * the stack and detaches the queues.
 */
public final class TunHost implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TunHost.class);

    private final TunDevice device;
    private final PcapLink pcap;
    private final FaultInjectingLink faults;
    private final TcpStack stack;

    private TunHost(TunDevice device, PcapLink pcap, FaultInjectingLink faults, TcpStack stack) {
        this.device = device;
        this.pcap = pcap;
        this.faults = faults;
        this.stack = stack;
    }

    public static TunHost open(StackOptions options) throws IOException {
        TcpSettings settings = options.settings();
        StackConfig.Builder builder = StackConfig.builder();
        for (String address : options.address().split(",")) {
            builder.address(address);
        }
        StackConfig config = builder.build();
        TunDevice device = TunDevice.open(options.device(), options.queues(), options.offload());
        device.setBusyPollMicros(options.busyPollMicros());
        try {
            PcapLink pcap = new PcapLink(device);
            if (options.pcap() != null) {
                Path file = options.pcap().toAbsolutePath().normalize();
                pcap.start(file.toString(), createPcap(file));
                log.info("recording packets to {}", file);
            }
            Tracer tracer = new Tracer();
            Clock clock = Clock.system();
            StackStats stats = new StackStats();
            FaultInjectingLink faults = new FaultInjectingLink(pcap, config.addresses(), clock, tracer, stats);
            for (FaultRule rule : options.faults()) {
                faults.add(rule);
                log.info("fault rule {}: {}", rule.id(), rule);
            }
            TcpStack stack = new TcpStack(config, faults, clock, settings, tracer, stats);
            stack.start();
            return new TunHost(device, pcap, faults, stack);
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** A pcap file opened with {@code options}; the IOException says which file and why, in words. */
    public static PcapWriter createPcap(Path file, OpenOption... options) throws IOException {
        try {
            return PcapWriter.create(file, options);
        } catch (IOException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such directory"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileAlreadyExistsException ? "it exists already" : e.toString();
            throw new IOException("cannot create pcap file " + file + ": " + why, e);
        }
    }

    public TcpStack stack() {
        return stack;
    }

    /** The recorder every packet passes, both directions (pcap files start and stop on it at run time). */
    public PcapLink pcap() {
        return pcap;
    }

    public TunDevice device() {
        return device;
    }

    /** The fault rules on the stack's link (tcpstack ctl fault). */
    public FaultInjectingLink faults() {
        return faults;
    }

    /** One line naming the device and the behaviour knobs in force. */
    public String describe() {
        TcpSettings s = stack.settings();
        String addresses = stack.config().addresses().stream().map(IpAddress::toString).collect(Collectors.joining(","));
        return "dev=" + device.name() + " addr=" + addresses + " queues=" + device.queueCount()
                + " mtu=" + device.mtu() + " profile=" + KnobRegistry.describeProfile(s) + " affinity=" + s.affinity.knobValue()
                + " syn-resend=" + s.synResend.knobValue() + " tx=" + device.transmitMode();
    }

    @Override
    public void close() {
        stack.close();
        log.info("stopped: rx {} tx {} tx-errors {} packets, rx {} super-packets, tx {} io_uring batches", device.rxPackets(),
                device.txPackets(), device.txErrors(), device.rxSuperPackets(), device.txBatches());
    }
}
