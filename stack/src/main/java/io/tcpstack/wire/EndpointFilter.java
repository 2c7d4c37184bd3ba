package io.tcpstack.wire;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Which connections a request or a fault rule means, by up to two endpoints (a short form of
 * ss's {@code src} / {@code dst} filters; {@code ctl conns}, {@code trace}, {@code kill} and {@code
 * fault} take them alike): {@code ADDR:PORT}, {@code ADDR}, {@code :PORT} or {@code *:PORT}. One
 * endpoint matches a connection if either end matches; two must match the two ends (in either
 * order), so {@code 198.18.0.2:80 198.18.0.1:40000} is one 4-tuple. No endpoint matches all.
 */
public final class EndpointFilter {
    private static final EndpointFilter ALL = new EndpointFilter(List.of());

    private final List<Endpoint> endpoints;

    /** An address (0: any) and a port (0: any). */
    record Endpoint(int address, int port) {
        boolean matches(int a, int p) {
            return (address == 0 || address == a) && (port == 0 || port == p);
        }

        @Override
        public String toString() {
            return (address == 0 ? "*" : Ipv4Address.format(address)) + ":" + (port == 0 ? "*" : Integer.toString(port));
        }
    }

    private EndpointFilter(List<Endpoint> endpoints) {
        this.endpoints = endpoints;
    }

    public static EndpointFilter all() {
        return ALL;
    }

    /** Parses up to two endpoints; IllegalArgumentException saying what an endpoint looks like. */
    public static EndpointFilter parse(List<String> words) {
        if (words.size() > 2) {
            throw new IllegalArgumentException("at most two endpoints (a 4-tuple), got " + words.size());
        }
        return new EndpointFilter(words.stream().map(EndpointFilter::endpoint).toList());
    }

    private static Endpoint endpoint(String word) {
        int colon = word.lastIndexOf(':');
        String address = colon < 0 ? word : word.substring(0, colon);
        String port = colon < 0 ? "*" : word.substring(colon + 1);
        try {
            int a = address.isEmpty() || address.equals("*") ? 0 : Ipv4Address.parse(address);
            int p = port.equals("*") ? 0 : Integer.parseInt(port);
            if (p >= 0 && p <= 65535 && !(colon >= 0 && port.isEmpty())) {
                return new Endpoint(a, p);
            }
        } catch (IllegalArgumentException e) {
            // reported below with what an endpoint looks like
        }
        throw new IllegalArgumentException("endpoint '" + word + "' must be ADDR:PORT, ADDR or :PORT (ADDR and PORT may be *)");
    }

    /**
     * Whether a connection of the host at {@code localAddress} can match: one endpoint may be
     * either end, but of two (a 4-tuple) one must be that address.
     */
    public boolean canBeLocal(int localAddress) {
        return endpoints.size() < 2 || endpoints.stream().anyMatch(e -> e.address == 0 || e.address == localAddress);
    }

    public boolean isAll() {
        return endpoints.isEmpty();
    }

    public boolean matches(int localAddress, int localPort, int remoteAddress, int remotePort) {
        return switch (endpoints.size()) {
            case 0 -> true;
            case 1 -> endpoints.get(0).matches(localAddress, localPort) || endpoints.get(0).matches(remoteAddress, remotePort);
            default -> (endpoints.get(0).matches(localAddress, localPort) && endpoints.get(1).matches(remoteAddress, remotePort))
                    || (endpoints.get(0).matches(remoteAddress, remotePort) && endpoints.get(1).matches(localAddress, localPort));
        };
    }

    /**
     * Whether a trace event's connection ("198.18.0.2:80 198.18.0.1:40000", or "-" for
     * stack-wide events) matches; stack-wide events pass only an empty filter.
     */
    public boolean matchesTraceConnection(String connection) {
        if (endpoints.isEmpty()) {
            return true;
        }
        String[] ends = connection.split(" ");
        if (ends.length != 2) {
            return false;
        }
        int[] local = split(ends[0]);
        int[] remote = split(ends[1]);
        return local != null && remote != null && matches(local[0], local[1], remote[0], remote[1]);
    }

    private static int[] split(String endpoint) {
        int colon = endpoint.lastIndexOf(':');
        try {
            return new int[] {Ipv4Address.parse(endpoint.substring(0, colon)), Integer.parseInt(endpoint.substring(colon + 1))};
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return endpoints.isEmpty() ? "all" : endpoints.stream().map(Endpoint::toString).collect(Collectors.joining(" "));
    }
}
