package io.tcpstack.control;

import io.tcpstack.api.TcpStack;
import io.tcpstack.config.Config;
import io.tcpstack.config.HostKnobs;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistry;
import io.tcpstack.profile.TcpSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code get}, {@code set} and {@code profile NAME}: the daemon's knobs ({@link HostKnobs}), read
 * and changed while it runs, as sysctl reads and writes net.ipv4.tcp_*. Every change is logged
 * with who made it.
 */
final class KnobCommands {
    /** Logs as the control commands. */
    private static final Logger log = LoggerFactory.getLogger(ControlCommands.class);

    private final TcpStack stack;
    private final Config config;

    /** @param config the configuration the daemon started with (knobs that are not live are read from it) */
    KnobCommands(TcpStack stack, Config config) {
        this.stack = stack;
        this.config = config;
    }

    private static Knob knob(String name) {
        return KnobRegistry.find(HostKnobs.forDaemon(), name).orElseThrow(() -> new IllegalArgumentException(
                "unknown knob '" + name + "' (get lists them)"));
    }

    /** {@code get [KNOB]}: live knobs as they are now, the others as the daemon started. */
    List<String> get(List<String> args) {
        if (args.size() > 1) {
            throw new IllegalArgumentException("get takes at most one KNOB");
        }
        List<Knob> knobs = args.isEmpty() ? HostKnobs.forDaemon() : List.of(knob(args.get(0)));
        List<String> lines = new ArrayList<>();
        for (Knob k : knobs) {
            lines.add(k.isLive() ? k.name() + " = " + k.get(stack.settings())
                    : k.name() + " = " + config.value(k) + " (at start)");
        }
        return lines;
    }

    /** Sets a live knob and reports every knob that changed (a profile changes several). */
    List<String> set(Peer peer, List<String> args) {
        if (args.size() < 2) {
            throw new IllegalArgumentException("set takes KNOB VALUE");
        }
        Knob knob = knob(args.get(0));
        if (knob == HostKnobs.FAULT) {
            throw new IllegalArgumentException("fault rules change with fault add|list|clear while the daemon runs");
        }
        if (!knob.isLive()) {
            throw new IllegalArgumentException(knob.name() + " takes effect at start: set it in the config file or as --"
                    + knob.name() + " and restart");
        }
        TcpSettings settings = stack.settings();
        Map<Knob, String> before = liveValues(settings);
        Affinity affinity = settings.affinity;
        String value = String.join(" ", args.subList(1, args.size()));
        try {
            knob.set(settings, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(knob.name() + ": " + e.getMessage(), e);
        }
        List<String> lines = new ArrayList<>();
        liveValues(settings).forEach((k, now) -> {
            String was = before.get(k);
            if (!now.equals(was) || k == knob) {
                String line = k.name() + " = " + now + " (was " + was + "; applies to " + k.appliesTo() + ")";
                lines.add(line);
                log.info("control: {} set {}", peer, line);
            }
        });
        if (settings.affinity != affinity) {
            lines.add("inbound steering: " + stack.steer());
        }
        return lines;
    }

    private static Map<Knob, String> liveValues(TcpSettings settings) {
        Map<Knob, String> values = new LinkedHashMap<>();
        KnobRegistry.LIVE.forEach(k -> values.put(k, k.get(settings)));
        return values;
    }
}
