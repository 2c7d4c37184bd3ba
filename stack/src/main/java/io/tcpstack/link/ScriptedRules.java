package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.TcpSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The scripted rules of a {@link SimulatedNetwork} and what they add up to for one packet: drop
 * exact packets, delay them (a deterministic reordering) or duplicate them, for exact scenarios.
 * Checked when a packet is sent, before any random impairment.
 */
final class ScriptedRules {
    /** What the scripted rules do to one packet. */
    record Effect(boolean drop, long delayNanos, boolean duplicate) {
        static final Effect NONE = new Effect(false, 0, false);
    }

    private final List<ScriptedRule> rules = new ArrayList<>();

    ScriptedRule add(Predicate<TcpSegment> match, int nth, ScriptedRule.Action action, long delayNanos) {
        ScriptedRule rule = new ScriptedRule(rules, match, nth, action, delayNanos);
        rules.add(rule);
        return rule;
    }

    /** Every rule sees every TCP packet (so each counts its own matches); their effects add up. */
    Effect effectOn(ByteBuf packet) {
        if (rules.isEmpty() || protocol(packet) != IpProtocol.TCP) {
            return Effect.NONE;
        }
        TcpSegment segment;
        try {
            segment = TcpSegment.parse(packet);
        } catch (RuntimeException malformed) {
            return Effect.NONE; // not a TCP segment any rule could describe; the receiver judges it
        }
        boolean drop = false;
        boolean duplicate = false;
        long delay = 0;
        for (ScriptedRule rule : List.copyOf(rules)) {
            if (rule.actsOn(segment)) {
                switch (rule.action()) {
                    case DROP -> drop = true;
                    case DELAY -> delay += rule.delayNanos();
                    case DUPLICATE -> duplicate = true;
                }
            }
        }
        return new Effect(drop, delay, duplicate);
    }

    /** The transport protocol of a packet of either family without extension headers. */
    private static int protocol(ByteBuf packet) {
        int start = packet.readerIndex();
        return (packet.getUnsignedByte(start) >>> 4) == 6 ? packet.getUnsignedByte(start + 6)
                : packet.getUnsignedByte(start + 9);
    }
}
