package io.tcpstack.drill;

import io.tcpstack.drill.Script.Option;
import io.tcpstack.drill.Script.Packet;
import java.util.ArrayList;
import java.util.List;

/** Packets in packetdrill's notation, and the comparison of an expected outbound packet with the live one. */
final class Format {
    private Format() {
    }

    static final List<String> ICMP_TYPES = List.of("echo_reply", "", "", "unreachable", "source_quench", "redirect",
            "", "", "echo_request", "", "", "time_exceeded", "parameter_problem");
    static final List<String> UNREACHABLE_CODES = List.of("net_unreachable", "host_unreachable",
            "protocol_unreachable", "port_unreachable", "frag_needed");

    static String packet(Packet p) {
        StringBuilder s = new StringBuilder(p.inbound() ? "< " : "> ");
        if (p.ecn() != Script.Ecn.ANY) {
            s.append('[').append(p.ecn().name().toLowerCase(java.util.Locale.ROOT)).append("] ");
        }
        switch (p.protocol()) {
            case "udp" -> s.append("udp (").append(p.length()).append(')');
            case "icmp" -> s.append("icmp ").append(p.icmpType()).append(p.icmpCode() == null ? "" : " " + p.icmpCode());
            default -> {
                s.append(p.flags().isEmpty() ? "-" : p.flags()).append(' ').append(p.seq()).append(':')
                        .append((p.seq() + p.length()) & 0xffffffffL).append('(').append(p.length()).append(')');
                if (p.ack() != null) {
                    s.append(" ack ").append(p.ack());
                }
                if (p.window() != null) {
                    s.append(" win ").append(p.window());
                }
                s.append(p.options() == null ? " <...>" : options(p.options()));
            }
        }
        return s.toString();
    }

    static String options(List<Option> options) {
        if (options.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (Option o : options) {
            parts.add(o.toString());
        }
        return " <" + String.join(",", parts) + ">";
    }

    /** A live outbound packet in script space (sequence numbers relative to the script's ISN). */
    static String live(Wire.Parsed l, long localOffset) {
        StringBuilder s = new StringBuilder("> ");
        String ecn = switch (l.ecn()) {
            case 1 -> "[ect1] ";
            case 2 -> "[ect0] ";
            case 3 -> "[ce] ";
            default -> "";
        };
        s.append(ecn);
        switch (l.protocol()) {
            case Wire.UDP -> s.append("udp (").append(l.payloadLength()).append(')');
            case Wire.ICMP -> s.append("icmp ").append(name(ICMP_TYPES, l.icmpType()))
                    .append(l.icmpType() == 3 ? " " + name(UNREACHABLE_CODES, l.icmpCode()) : "");
            case Wire.TCP -> {
                String flags = Wire.flagString(l.flags());
                long seq = (l.seq() - localOffset) & 0xffffffffL;
                s.append(flags.isEmpty() ? "-" : flags).append(' ').append(seq).append(':')
                        .append((seq + l.payloadLength()) & 0xffffffffL).append('(').append(l.payloadLength())
                        .append(')');
                if ((l.flags() & Wire.ACK) != 0) {
                    s.append(" ack ").append(l.ack());
                }
                s.append(" win ").append(l.window()).append(options(l.options()));
            }
            default -> s.append("IP protocol ").append(l.protocol());
        }
        return s.toString();
    }

    private static String name(List<String> names, int value) {
        return value < names.size() && !names.get(value).isEmpty() ? names.get(value) : Integer.toString(value);
    }

    /** What differs between the expected packet and the live one (in script space), or null. */
    static String compare(Packet p, Wire.Parsed l, long localOffset) {
        if (p.ecn() != Script.Ecn.ANY) {
            boolean ok = p.ecn() == Script.Ecn.ECT01 ? (l.ecn() == 1 || l.ecn() == 2) : l.ecn() == p.ecn().bits;
            if (!ok) {
                return "IP ECN field";
            }
        }
        switch (p.protocol()) {
            case "udp" -> {
                if (l.protocol() != Wire.UDP) {
                    return "protocol";
                }
                return l.payloadLength() == p.length() ? null : "UDP length";
            }
            case "icmp" -> {
                if (l.protocol() != Wire.ICMP) {
                    return "protocol";
                }
                if (!p.icmpType().equals(name(ICMP_TYPES, l.icmpType()))) {
                    return "ICMP type";
                }
                return p.icmpCode() == null || l.icmpType() != 3 || p.icmpCode().equals(name(UNREACHABLE_CODES,
                        l.icmpCode())) ? null : "ICMP code";
            }
            default -> {
            }
        }
        if (l.protocol() != Wire.TCP) {
            return "protocol";
        }
        if (Wire.flagBits(p.flags()) != l.flags()) {
            return "TCP flags";
        }
        if (((l.seq() - localOffset) & 0xffffffffL) != p.seq()) {
            return "sequence number";
        }
        if (l.payloadLength() != p.length()) {
            return "payload length";
        }
        if ((l.flags() & Wire.ACK) != 0 && p.ack() != null && l.ack() != p.ack()) {
            return "ACK number";
        }
        if (p.window() != null && l.window() != p.window()) {
            return "window";
        }
        if (p.options() == null) {
            return null;
        }
        if (p.options().size() != l.options().size()) {
            return "TCP options";
        }
        for (int i = 0; i < p.options().size(); i++) {
            Option want = p.options().get(i);
            Option got = l.options().get(i);
            if (!want.kind().equals(got.kind())) {
                return "TCP option " + (i + 1);
            }
            boolean same = switch (want.kind()) {
                case "mss", "wscale" -> want.a() == got.a();
                case "sack" -> java.util.Arrays.equals(want.sack(), got.sack());
                default -> true; // TS val is not checked (packetdrill without --tcp_ts_tick_usecs), nor ecr
            };
            if (!same) {
                return "TCP option " + want.kind();
            }
        }
        return null;
    }
}
