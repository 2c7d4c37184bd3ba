package io.tcpstack.daemon.services;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The services a daemon hosts, spelled {@code echo:7,discard:9,http:80}. No logger here: the
 * daemon validates its options with this before it configures logging.
 */
public final class ServiceSpec {
    /** The services there are. */
    static final List<String> NAMES = List.of("echo", "discard", "http", "chargen");

    private ServiceSpec() {
    }

    /**
     * Parses "name:port,name:port" (names: echo, discard, http, chargen). Throws IllegalArgumentException
     * with a message naming what is wrong.
     */
    public static Map<String, Integer> parse(String spec) {
        Map<String, Integer> result = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return result;
        }
        for (String item : spec.split(",")) {
            String[] parts = item.trim().split(":");
            if (parts.length != 2) {
                throw new IllegalArgumentException("service '" + item + "' must be NAME:PORT (" + String.join(", ", NAMES) + ")");
            }
            String name = parts[0].trim();
            if (!NAMES.contains(name)) {
                throw new IllegalArgumentException("unknown service '" + name + "' (" + String.join(", ", NAMES) + ")");
            }
            int port;
            try {
                port = Integer.parseInt(parts[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("service port '" + parts[1] + "' is not a number");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("service port " + port + " must be 1..65535");
            }
            if (result.containsValue(port)) {
                throw new IllegalArgumentException("port " + port + " is given to two services");
            }
            result.put(name, port);
        }
        return result;
    }

    /** The spec spelled back: "echo:7,http:80", or "" for none. */
    public static String format(Map<String, Integer> spec) {
        return spec.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(","));
    }
}
