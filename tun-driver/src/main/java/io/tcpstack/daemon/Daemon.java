package io.tcpstack.daemon;

import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.examples.Services;
import io.tcpstack.link.Link;
import io.tcpstack.link.PcapLink;
import io.tcpstack.link.PcapWriter;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.Clock;
import io.tcpstack.tun.TunDevice;
import java.io.IOException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-running process: the stack on a TUN device, hosting the demo services. Built by
 * {@link #start}, stopped by {@link #close} (in the reverse order: services, stack, device, pcap).
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final DaemonOptions options;
    private final TunDevice device;
    private final TcpStack stack;
    private final Services services;

    private Daemon(DaemonOptions options, TunDevice device, TcpStack stack, Services services) {
        this.options = options;
        this.device = device;
        this.stack = stack;
        this.services = services;
    }

    public static Daemon start(DaemonOptions options) throws IOException {
        TcpSettings settings = new TcpSettings();
        if (options.profile() != null) {
            options.profile().applyTo(settings);
        }
        if (options.affinity() != null) {
            settings.affinity = options.affinity();
        }
        if (options.synResend() != null) {
            settings.synResend = options.synResend();
        }
        if (options.portRange() != null) {
            settings.portRangeLow = options.portRange()[0];
            settings.portRangeHigh = options.portRange()[1];
        }
        StackConfig config = StackConfig.builder().address(options.address()).build();
        TunDevice device = TunDevice.open(options.device(), options.queues());
        TcpStack stack = null;
        try {
            Link link = device;
            if (options.pcap() != null) {
                link = new PcapLink(device, PcapWriter.create(options.pcap()));
                log.info("recording packets to {}", options.pcap());
            }
            stack = new TcpStack(config, link, Clock.system(), settings);
            stack.start();
            Services services = Services.start(stack, options.services());
            return new Daemon(options, device, stack, services);
        } catch (IOException | RuntimeException e) {
            if (stack != null) {
                stack.close();
            } else {
                device.close();
            }
            throw e;
        }
    }

    public TcpStack stack() {
        return stack;
    }

    public TunDevice device() {
        return device;
    }

    /** One line saying what runs, printed when the daemon is ready (scripts and tests wait for it). */
    public String readyLine() {
        TcpSettings s = stack.settings();
        String services = options.services().entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(","));
        return "tcpstack ready: dev=" + device.name() + " addr=" + options.address() + " queues=" + device.queueCount()
                + " mtu=" + device.mtu() + " services=" + (services.isEmpty() ? "none" : services)
                + " profile=" + s.profile.knobValue() + " affinity=" + s.affinity.knobValue()
                + " syn-resend=" + s.synResend.knobValue() + " pid=" + ProcessHandle.current().pid();
    }

    @Override
    public void close() {
        services.close();
        stack.close();
        log.info("stopped: rx {} tx {} tx-errors {} packets", device.rxPackets(), device.txPackets(), device.txErrors());
    }
}
