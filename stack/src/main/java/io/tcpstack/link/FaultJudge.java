package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.Ipv6View;

/**
 * What a {@link FaultInjectingLink}'s rules decide for one packet (its {@link Fate}: dropped,
 * copied, delayed, held back, corrupted in place), each act counted and traced. The decision half
 * of netem's enqueue (Linux net/sched/sch_netem.c, netem_enqueue); the link carries it out.
 */
final class FaultJudge {
    private final Link link;
    private final Clock clock;
    private final Tracer tracer;
    private final StackStats stats;
    private final FlowTable flows;

    FaultJudge(Link link, Clock clock, Tracer tracer, StackStats stats, FlowTable flows) {
        this.link = link;
        this.clock = clock;
        this.tracer = tracer;
        this.stats = stats;
        this.flows = flows;
    }

    /** What the rules decided for one packet. */
    static final class Fate {
        static final Fate PASS = new Fate();
        boolean drop;
        int copies;
        long delayNanos;
        int holdBy;
        long holdMaxNanos;

        boolean deferred() {
            return delayNanos > 0 || holdBy > 0;
        }
    }

    Fate judge(FaultRule[] r, ByteBuf packet, boolean out, boolean needsFlows) {
        if (r.length == 0) {
            return Fate.PASS;
        }
        FaultPacket seg = FaultPacket.parse(packet, out);
        if (seg == null) {
            return Fate.PASS;
        }
        if (needsFlows) {
            flows.observe(seg);
        }
        Fate fate = Fate.PASS;
        String described = null;
        for (FaultRule rule : r) {
            if (!rule.matches(seg) || !rule.select()) {
                continue;
            }
            if (fate == Fate.PASS) {
                fate = new Fate();
            }
            if (described == null && tracer.enabled()) {
                described = seg.describe(packet); // before a corruption changes it
            }
            String detail = "";
            switch (rule.action) {
                case DROP -> {
                    fate.drop = true;
                    stats.drop(DropReason.FAULT_INJECTED);
                }
                case DELAY -> {
                    long d = rule.delayNanos + (rule.jitterNanos > 0 ? rule.nextLong(rule.jitterNanos + 1) : 0);
                    fate.delayNanos += d;
                    detail = " by " + FaultRule.formatDuration(d);
                    stats.inc(Counter.TcpExtFaultDelayed);
                }
                case DUPLICATE -> {
                    fate.copies++;
                    stats.inc(Counter.TcpExtFaultDuplicated);
                }
                case REORDER -> {
                    fate.holdBy = Math.max(fate.holdBy, rule.reorderBy);
                    fate.holdMaxNanos = Math.max(fate.holdMaxNanos, rule.reorderMaxNanos);
                    detail = " behind the next " + rule.reorderBy;
                    stats.inc(Counter.TcpExtFaultReordered);
                }
                case CORRUPT -> {
                    detail = " at byte " + corrupt(packet, rule);
                    stats.inc(Counter.TcpExtFaultCorrupted);
                }
            }
            if (tracer.enabled()) {
                tracer.emit(new TraceEvent(clock.nanos(), TraceEvent.Kind.FAULT, seg.connection(),
                        "rule " + rule.id() + " " + rule.action().done() + detail + ": " + described));
            }
            if (fate.drop) {
                break;
            }
        }
        return fate;
    }

    /**
     * Flips one byte so that the receiver's checksum fails: in the TCP segment, or, in a TSO
     * super-packet (which the kernel checksums itself after cutting it), the IPv4 identification,
     * which the IP header checksum covers. Returns the byte's offset in the packet.
     */
    private int corrupt(ByteBuf packet, FaultRule rule) {
        int start = packet.readerIndex();
        int length = packet.readableBytes();
        boolean v6 = packet.getUnsignedByte(start) >>> 4 == 6;
        int header = v6 ? Ipv6View.HEADER_LENGTH : (packet.getUnsignedByte(start) & 0x0f) * 4;
        int at = length > link.mtu() && !v6 ? 4 + (int) rule.nextLong(2) : header + (int) rule.nextLong(length - header);
        packet.setByte(start + at, packet.getUnsignedByte(start + at) ^ (1 + (int) rule.nextLong(255)));
        return at;
    }
}
