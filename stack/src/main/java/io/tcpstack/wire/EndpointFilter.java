package io.tcpstack.wire;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Which connections a request or a fault rule means, by up to two endpoints (a short form of
 * ss's {@code src} / {@code dst} filters; {@code ctl conns}, {@code trace}, {@code kill} and {@code
 * fault} take them alike): {@code ADDR:PORT}, {@code ADDR}, {@code :PORT} or {@code *:PORT}, an
 * IPv6 address in brackets as ss writes it ({@code [2001:2::2]:80}; bare when no port follows).
 * One endpoint matches a connection if either end matches; two must match the two ends (in either
 * order), so {@code 198.18.0.2:80 198.18.0.1:40000} is one 4-tuple. No endpoint matches all.
 */
public final class EndpointFilter {
    private static final EndpointFilter ALL = new EndpointFilter(List.of());

    private final List<Endpoint> endpoints;

    /** An address (null: any) and a port (0: any). */
    record Endpoint(IpAddress address, int port) {
        boolean matches(IpAddress a, int p) {
            return (address == null || address.equals(a)) && (port == 0 || port == p);
        }

        @Override
        public String toString() {
            String p = port == 0 ? "*" : Integer.toString(port);
            return address == null ? "*:" + p : address.isV4() ? address + ":" + p : "[" + address + "]:" + p;
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
        Endpoint e = parseEndpoint(word);
        if (e == null) {
            throw new IllegalArgumentException("endpoint '" + word
                    + "' must be ADDR:PORT, ADDR or :PORT (ADDR and PORT may be *; IPv6 as [ADDR]:PORT)");
        }
        return e;
    }

    /**
     * "198.18.0.2:80", "[2001:2::2]:80", an address alone (IPv6 with or without brackets),
     * ":80", "*:80"; null if it is none of them.
     */
    private static Endpoint parseEndpoint(String word) {
        String address = word;
        String port = "*";
        int close = word.lastIndexOf(']');
        if (word.startsWith("[") && close > 0) {
            address = word.substring(1, close);
            if (close + 1 < word.length()) {
                if (word.charAt(close + 1) != ':') {
                    return null;
                }
                port = word.substring(close + 2);
            }
        } else if (word.indexOf(':') == word.lastIndexOf(':') && word.indexOf(':') >= 0) {
            address = word.substring(0, word.indexOf(':'));
            port = word.substring(word.indexOf(':') + 1);
        }
        try {
            IpAddress a = address.isEmpty() || address.equals("*") ? null : IpAddress.parse(address);
            int p = port.equals("*") ? 0 : Integer.parseInt(port);
            return p >= 0 && p <= 65535 ? new Endpoint(a, p) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Whether a connection of the host at {@code localAddresses} can match: one endpoint may be
     * either end, but of two (a 4-tuple) one must be one of those addresses.
     */
    public boolean canBeLocal(List<IpAddress> localAddresses) {
        return endpoints.size() < 2
                || endpoints.stream().anyMatch(e -> e.address == null || localAddresses.contains(e.address));
    }

    public boolean matches(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
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
        Endpoint local = parseEndpoint(ends[0]);
        Endpoint remote = parseEndpoint(ends[1]);
        return local != null && remote != null && local.address() != null && remote.address() != null
                && matches(local.address(), local.port(), remote.address(), remote.port());
    }

    @Override
    public String toString() {
        return endpoints.isEmpty() ? "all" : endpoints.stream().map(Endpoint::toString).collect(Collectors.joining(" "));
    }
}
