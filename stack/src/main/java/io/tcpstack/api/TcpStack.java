package io.tcpstack.api;

import io.tcpstack.ip.Icmp;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.ip.Ipv4Input;
import io.tcpstack.link.Link;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import java.util.Objects;

/**
 * The stack: one IPv4 address on one {@link Link}. Wires the layers (ip, icmp, tcp) together and
 * is what applications, the daemon and tests hold.
 */
public final class TcpStack implements AutoCloseable {
    private final StackConfig config;
    private final Link link;
    private final Clock clock;
    private final StackStats stats = new StackStats();
    private final IpOutput ipOutput;
    private final Ipv4Input ipInput;
    private volatile boolean started;

    public TcpStack(StackConfig config, Link link) {
        this(config, link, Clock.system());
    }

    public TcpStack(StackConfig config, Link link, Clock clock) {
        this.config = Objects.requireNonNull(config);
        this.link = Objects.requireNonNull(link);
        this.clock = Objects.requireNonNull(clock);
        this.ipOutput = new IpOutput(config, link, stats);
        this.ipInput = new Ipv4Input(config.address(), link.queueCount(), stats, new Icmp(ipOutput, stats));
    }

    /** Starts receiving from the link. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        link.start(ipInput);
    }

    public StackConfig config() {
        return config;
    }

    public StackStats stats() {
        return stats;
    }

    public Clock clock() {
        return clock;
    }

    /** Stops the link (its readers) and releases it. */
    @Override
    public void close() {
        link.close();
    }
}
