package io.tcpstack.control;

import io.tcpstack.api.types.TcpState;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code ctl conns state NAME}: iproute2 ss's state filter (ss(8), "STATE-FILTER"): the state
 * names ss prints, lower case, and its groups. Several {@code state} words add up; none means
 * every state.
 */
final class StateFilter {
    private static final Set<TcpState> SYNCHRONIZED = EnumSet.of(TcpState.ESTABLISHED, TcpState.SYN_RECEIVED,
            TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, TcpState.CLOSE_WAIT, TcpState.LAST_ACK,
            TcpState.CLOSING);
    /** ss's names and groups: "bucket" is what Linux keeps as minisockets (SYN-RECV, TIME-WAIT). */
    private static final Map<String, Set<TcpState>> NAMES = Map.ofEntries(
            Map.entry("established", EnumSet.of(TcpState.ESTABLISHED)),
            Map.entry("syn-sent", EnumSet.of(TcpState.SYN_SENT)),
            Map.entry("syn-recv", EnumSet.of(TcpState.SYN_RECEIVED)),
            Map.entry("fin-wait-1", EnumSet.of(TcpState.FIN_WAIT_1)),
            Map.entry("fin-wait-2", EnumSet.of(TcpState.FIN_WAIT_2)),
            Map.entry("time-wait", EnumSet.of(TcpState.TIME_WAIT)),
            Map.entry("closed", EnumSet.of(TcpState.CLOSED)),
            Map.entry("close-wait", EnumSet.of(TcpState.CLOSE_WAIT)),
            Map.entry("last-ack", EnumSet.of(TcpState.LAST_ACK)),
            Map.entry("listening", EnumSet.of(TcpState.LISTEN)),
            Map.entry("listen", EnumSet.of(TcpState.LISTEN)),
            Map.entry("closing", EnumSet.of(TcpState.CLOSING)),
            Map.entry("all", EnumSet.allOf(TcpState.class)),
            Map.entry("connected", EnumSet.complementOf(EnumSet.of(TcpState.LISTEN, TcpState.CLOSED))),
            Map.entry("synchronized", SYNCHRONIZED),
            Map.entry("bucket", EnumSet.of(TcpState.SYN_RECEIVED, TcpState.TIME_WAIT)),
            Map.entry("big", EnumSet.complementOf(EnumSet.of(TcpState.SYN_RECEIVED, TcpState.TIME_WAIT))));

    private final Set<TcpState> states;

    private StateFilter(Set<TcpState> states) {
        this.states = states;
    }

    /** The states named after each {@code state} word; IllegalArgumentException for an unknown name. */
    static StateFilter parse(List<String> names) {
        if (names.isEmpty()) {
            return new StateFilter(EnumSet.allOf(TcpState.class));
        }
        Set<TcpState> states = EnumSet.noneOf(TcpState.class);
        for (String name : names) {
            Set<TcpState> s = NAMES.get(name.toLowerCase(java.util.Locale.ROOT));
            if (s == null) {
                throw new IllegalArgumentException("unknown state '" + name + "' (ss names: "
                        + NAMES.keySet().stream().sorted().collect(Collectors.joining(", ")) + ")");
            }
            states.addAll(s);
        }
        return new StateFilter(states);
    }

    boolean matches(TcpState state) {
        return states.contains(state);
    }
}
