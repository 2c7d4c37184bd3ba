package io.tcpstack.daemon;

import io.tcpstack.examples.Services;
import java.io.IOException;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The long-running process: the stack on a TUN device hosting the demo services. Closing stops
 * the services, then the stack and the device.
 */
public final class Daemon implements AutoCloseable {
    private final TunHost host;
    private final Map<String, Integer> serviceSpec;
    private final Services services;

    private Daemon(TunHost host, Map<String, Integer> serviceSpec, Services services) {
        this.host = host;
        this.serviceSpec = serviceSpec;
        this.services = services;
    }

    public static Daemon start(StackOptions options, Map<String, Integer> serviceSpec) throws IOException {
        TunHost host = TunHost.open(options);
        try {
            return new Daemon(host, serviceSpec, Services.start(host.stack(), serviceSpec));
        } catch (IOException | RuntimeException e) {
            host.close();
            throw e;
        }
    }

    public TunHost host() {
        return host;
    }

    /** One line saying what runs, printed when the daemon is ready (scripts and tests wait for it). */
    public String readyLine() {
        String names = serviceSpec.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining(","));
        return "tcpstack ready: " + host.describe() + " services=" + (names.isEmpty() ? "none" : names) + " pid="
                + ProcessHandle.current().pid();
    }

    @Override
    public void close() {
        services.close();
        host.close();
    }
}
