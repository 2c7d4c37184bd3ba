package io.tcpstack.link;

import io.tcpstack.wire.TcpSegment;
import java.util.List;
import java.util.function.Predicate;

/**
 * A scripted rule of a {@link SimulatedNetwork}: drops, delays or duplicates the packets it
 * matches; counts what it matched and acted on; {@link #remove()} ends it. Made by
 * {@link SimulatedNetwork#dropIf}, {@link SimulatedNetwork#dropNth}, {@link SimulatedNetwork#delayIf}
 * and {@link SimulatedNetwork#duplicateIf}.
 */
public final class ScriptedRule {
    enum Action {
        DROP,
        DELAY,
        DUPLICATE
    }

    private final List<ScriptedRule> owner;
    private final Predicate<TcpSegment> match;
    private final int nth;
    private final Action action;
    private final long delayNanos;
    private int matched;
    private int acted;

    ScriptedRule(List<ScriptedRule> owner, Predicate<TcpSegment> match, int nth, Action action, long delayNanos) {
        this.owner = owner;
        this.match = match;
        this.nth = nth;
        this.action = action;
        this.delayNanos = delayNanos;
    }

    /** Whether this rule acts on {@code segment}; counts it when it matches. */
    boolean actsOn(TcpSegment segment) {
        if (!match.test(segment)) {
            return false;
        }
        matched++;
        boolean act = nth == 0 || matched == nth;
        if (act) {
            acted++;
        }
        return act;
    }

    Action action() {
        return action;
    }

    long delayNanos() {
        return delayNanos;
    }

    public int matched() {
        return matched;
    }

    /** Packets this rule dropped (0 for a delaying or duplicating rule). */
    public int dropped() {
        return action == Action.DROP ? acted : 0;
    }

    /** Packets this rule acted on: dropped, delayed or duplicated. */
    public int acted() {
        return acted;
    }

    public void remove() {
        owner.remove(this);
    }
}
