package io.tcpstack.daemon;

import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.config.Config;
import io.tcpstack.config.Groups;
import io.tcpstack.control.ControlCommands;
import io.tcpstack.control.ControlServer;
import io.tcpstack.control.PeerPolicy;
import io.tcpstack.daemon.services.ServiceSpec;
import io.tcpstack.daemon.services.Services;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.profile.TcpSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long-running process: the stack on a TUN device, the demo services, the control socket,
 * the connection log and the periodic summary. {@link #reload()} applies a re-read config file;
 * {@link #close()} drains: every open connection is closed with a FIN and gets at most
 * drain-timeout to finish its close, then whatever is left is reset.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** States whose close has not finished: our FIN is not acknowledged yet, or not even sent. */
    private static final Set<TcpState> UNFINISHED = EnumSet.of(TcpState.SYN_SENT, TcpState.SYN_RECEIVED,
            TcpState.ESTABLISHED, TcpState.CLOSE_WAIT, TcpState.FIN_WAIT_1, TcpState.CLOSING, TcpState.LAST_ACK);
    private static final long DRAIN_POLL_MS = 10;

    private final TunHost host;
    private final Services services;
    private final TraceHub traces;
    private final ControlCommands commands;
    private final ControlServer control;
    private final Summary summary;
    private final ScheduledExecutorService timer;
    private volatile Config config;

    private Daemon(TunHost host, Services services, TraceHub traces, ControlCommands commands, ControlServer control,
            Config config) {
        this.host = host;
        this.services = services;
        this.traces = traces;
        this.commands = commands;
        this.control = control;
        this.config = config;
        this.summary = new Summary(host.stack());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tcpstack-summary");
            t.setDaemon(true);
            return t;
        });
        long every = config.summaryIntervalMs();
        if (every > 0) {
            timer.scheduleAtFixedRate(this::logSummaryIfChanged, every, every, TimeUnit.MILLISECONDS);
        }
    }

    public static Daemon start(Config config) throws IOException {
        Path path = config.controlPath();
        // the group is looked up before the device is touched: a typo costs nothing
        PeerPolicy policy = path == null ? null
                : new PeerPolicy(config.controlGid(), Groups.ownUid(), Groups::supplementary);
        TunHost host = TunHost.open(config.stackOptions());
        Services services = null;
        try {
            services = Services.start(host.stack(), config.services());
            TraceHub traces = new TraceHub(host.stack().tracer());
            if (ConnectionLog.wanted()) {
                traces.add(new ConnectionLog());
            }
            ControlCommands commands = new ControlCommands(host.stack(), host.pcap(), host.faults(), host::describe,
                    config, traces);
            ControlServer control = path == null ? null
                    : ControlServer.start(path, policy, config.controlTimeoutMs(), commands);
            return new Daemon(host, services, traces, commands, control, config);
        } catch (IOException | RuntimeException e) {
            if (services != null) {
                services.close();
            }
            host.close();
            throw e;
        }
    }

    public TunHost host() {
        return host;
    }

    /** One line saying what runs, printed when the daemon is ready (scripts and tests wait for it). */
    public String readyLine() {
        String names = ServiceSpec.format(config.services());
        return "tcpstack ready: " + host.describe() + " services=" + (names.isEmpty() ? "none" : names) + " control="
                + (control == null ? "none" : control.path()) + " pid=" + ProcessHandle.current().pid();
    }

    /**
     * SIGHUP: reads the config file again and applies every live knob whose value there (or in a
     * flag) changed since the last load; knobs changed by {@code ctl set} and not in the file stay.
     * Host knobs that changed are reported: they need a restart. A bad file changes nothing.
     */
    public void reload() {
        Config old = config;
        if (old.file() == null) {
            log.info("SIGHUP: no --config file to read again");
            return;
        }
        Config next;
        try {
            next = old.reload();
        } catch (IllegalArgumentException e) {
            log.error("reload failed, the running configuration stays: {}", e.getMessage());
            return;
        }
        TcpSettings was = old.settings();
        TcpSettings now = next.settings();
        Affinity affinity = host.stack().settings().affinity;
        int changed = 0;
        for (Knob knob : KnobRegistry.LIVE) {
            String value = knob.get(now);
            if (!value.equals(knob.get(was))) {
                String running = knob.get(host.stack().settings());
                knob.set(host.stack().settings(), value);
                log.info("reload: {} = {} (was {})", knob.name(), value, running);
                changed++;
            }
        }
        for (Knob knob : old.knobs()) {
            if (!knob.isLive() && !old.value(knob).equals(next.value(knob))) {
                log.warn("reload: {} = {} in {} takes effect at the next start (running with {})", knob.name(),
                        next.value(knob), next.file(), old.value(knob));
            }
        }
        if (host.stack().settings().affinity != affinity) {
            host.stack().steer();
        }
        config = next;
        log.info("reloaded {}: {} live knob(s) changed", next.file(), changed);
    }

    private List<ConnectionInfo> unfinished() {
        return host.stack().connections().stream().filter(c -> UNFINISHED.contains(c.state())).toList();
    }

    private void logSummaryIfChanged() {
        String line = summary.lineIfChanged();
        if (line != null) {
            log.info("summary: {}", line);
        }
    }

    /** Drains (see the class comment), then stops the control socket, the stack and the device. */
    @Override
    public void close() {
        long t0 = System.nanoTime();
        int open = unfinished().size();
        long drainMs = config.drainTimeoutMs();
        log.info("stopping: {} open connection(s) get at most {} ms to close", open, drainMs);
        commands.closeAll("daemon stopping");
        services.close();
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(drainMs);
        List<ConnectionInfo> left = unfinished();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(DRAIN_POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            left = unfinished();
        }
        TcpStack stack = host.stack();
        int reset = 0;
        for (ConnectionInfo c : left) {
            if (stack.abort(c.remoteAddress(), c.remotePort(), c.localPort())) {
                reset++;
            }
        }
        log.info("drained in {} ms: {} of {} open connection(s) closed with FIN, {} reset at the drain timeout",
                (System.nanoTime() - t0) / 1_000_000, open - reset, open, reset);
        if (control != null) {
            control.close();
        }
        timer.shutdownNow();
        log.info("summary: {}", summary.line());
        traces.listeners().forEach(traces::remove);
        host.close();
    }
}
