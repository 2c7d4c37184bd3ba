package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.DropReason;
import io.tcpstack.time.Clock;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.SegmentText;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.TcpView;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Link} decorator that drops chosen TCP segments in real time (smoltcp's
 * phy/fault_injector.rs): the stack's own impairment layer, since the test machines have no
 * netem. A {@link Rule} names a direction and an exact flag set and drops every Nth match, so
 * an experiment can, for example, lose the RST/ACK of every tenth abortive close.
 */
public final class FaultInjectingLink extends ForwardingLink {
    private final Rule rule;
    private final Tracer tracer;
    private final Clock clock;
    private final AtomicLong matched = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /**
     * What to drop: segments going {@code out} (sent by the stack) or coming in, whose SYN, FIN,
     * RST and ACK bits are exactly {@code flags}, every {@code every}th one (1: all).
     */
    public record Rule(boolean out, int flags, int every) {
        private static final int MASK = TcpView.SYN | TcpView.FIN | TcpView.RST | TcpView.ACK;
        private static final int[] FLAG_BITS = {TcpView.SYN, TcpView.FIN, TcpView.RST, TcpView.ACK};
        private static final String FLAG_LETTERS = "SFRA";

        public Rule {
            if (every < 1) {
                throw new IllegalArgumentException("every must be >= 1, got " + every);
            }
        }

        /**
         * Parses {@code DIR:FLAGS[/N]}: DIR is in or out, FLAGS letters of S F R A (tcpdump's
         * with A for ACK; "." alone means a bare ACK), N drops every Nth match (default 1).
         * Example: {@code out:RA/10}.
         */
        public static Rule parse(String spec) {
            String[] dirRest = spec.split(":", 2);
            if (dirRest.length != 2 || !(dirRest[0].equals("in") || dirRest[0].equals("out"))) {
                throw new IllegalArgumentException("fault rule '" + spec + "' must be in|out:FLAGS[/N], e.g. out:RA/10");
            }
            String[] flagsEvery = dirRest[1].split("/", 2);
            int flags = 0;
            for (char c : flagsEvery[0].toUpperCase(Locale.ROOT).toCharArray()) {
                flags |= switch (c) {
                    case 'S' -> TcpView.SYN;
                    case 'F' -> TcpView.FIN;
                    case 'R' -> TcpView.RST;
                    case 'A', '.' -> TcpView.ACK;
                    default -> throw new IllegalArgumentException("fault rule '" + spec + "': flag '" + c
                            + "' is not one of S F R A");
                };
            }
            if (flags == 0) {
                throw new IllegalArgumentException("fault rule '" + spec + "' names no flags");
            }
            int every = 1;
            if (flagsEvery.length == 2) {
                try {
                    every = Integer.parseInt(flagsEvery[1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("fault rule '" + spec + "': '" + flagsEvery[1] + "' is not a number");
                }
            }
            return new Rule(dirRest[0].equals("out"), flags, every);
        }

        boolean matches(ByteBuf packet) {
            int ip = packet.readerIndex();
            if (packet.readableBytes() < Ipv4View.MIN_HEADER_LENGTH + TcpView.MIN_HEADER_LENGTH
                    || packet.getUnsignedByte(ip + 9) != IpProtocol.TCP) {
                return false;
            }
            int ihl = (packet.getUnsignedByte(ip) & 0x0f) * 4;
            if (packet.readableBytes() < ihl + TcpView.MIN_HEADER_LENGTH) {
                return false;
            }
            return (packet.getUnsignedByte(ip + ihl + 13) & MASK) == flags;
        }

        /** The rule as {@link #parse} reads it: {@code out:RA/10}. */
        @Override
        public String toString() {
            StringBuilder letters = new StringBuilder();
            for (int i = 0; i < FLAG_BITS.length; i++) {
                if ((flags & FLAG_BITS[i]) != 0) {
                    letters.append(FLAG_LETTERS.charAt(i));
                }
            }
            return (out ? "out:" : "in:") + letters + "/" + every;
        }
    }

    /** Drops by {@code rule}; each drop is a trace note stamped with the stack's {@code clock}. */
    public FaultInjectingLink(Link link, Rule rule, Tracer tracer, Clock clock) {
        super(link);
        this.rule = rule;
        this.tracer = tracer;
        this.clock = clock;
    }

    /** Segments the rule dropped so far. */
    public long dropped() {
        return dropped.get();
    }

    private boolean drop(ByteBuf packet) {
        if (!rule.matches(packet) || matched.incrementAndGet() % rule.every() != 0) {
            return false;
        }
        dropped.incrementAndGet();
        if (tracer.enabled()) {
            tracer.emit(new TraceEvent(clock.nanos(), TraceEvent.Kind.NOTE, connection(packet), "fault injector ("
                    + rule + ") dropped " + (rule.out() ? "sent " : "received ") + SegmentText.ofPacket(packet),
                    DropReason.IMPAIRMENT.name(), null));
        }
        return true;
    }

    /** "local:port remote:port" of the packet, from the stack's side, as trace events name connections. */
    private String connection(ByteBuf packet) {
        String[] ends = SegmentText.endpoints(packet).split(" ");
        return rule.out() ? ends[0] + " " + ends[1] : ends[1] + " " + ends[0];
    }

    @Override
    public void send(int queue, ByteBuf packet) {
        if (rule.out() && drop(packet)) {
            packet.release();
            return;
        }
        link.send(queue, packet);
    }

    @Override
    protected boolean received(int queue, ByteBuf packet) {
        return rule.out() || !drop(packet);
    }
}
