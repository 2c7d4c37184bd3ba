package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.DropReason;
import io.tcpstack.time.Clock;
import io.tcpstack.trace.Rule;
import io.tcpstack.trace.SegmentText;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpView;

/**
 * Formats TCP events for the {@link Tracer}; does nothing (and allocates nothing) when tracing is
 * off. Every event names the rule the stack applied: drops their {@link DropReason}, state changes
 * and timers the {@link Rule} their caller gives, and each outbound segment the cause its sender
 * recorded with {@link #cause} just before transmitting (else the rule its flags and state imply).
 */
final class TcpTrace {
    /** The cause recorded for the next segment this thread sends: per thread, as a Tcb's lock is held by one. */
    private static final ThreadLocal<Cause> CAUSE = ThreadLocal.withInitial(Cause::new);

    private final Tracer tracer;
    private final Clock clock;

    private final TcpLayer layer;

    private static final class Cause {
        Tcb tcb;
        Rule rule;
    }

    TcpTrace(Tracer tracer, Clock clock, TcpLayer layer) {
        this.tracer = tracer;
        this.clock = clock;
        this.layer = layer;
    }

    boolean enabled() {
        return tracer.enabled();
    }

    private void emit(TraceEvent.Kind kind, String connection, String text, String rule, TraceEvent.Vars vars) {
        tracer.emit(new TraceEvent(clock.nanos(), kind, connection, text, rule, vars));
    }

    /** "198.18.0.2:80 198.18.0.1:40000", or "[2001:2::2]:80 [2001:2::1]:40000" over IPv6. */
    static String connection(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
        return localAddress.withPort(localPort) + " " + remoteAddress.withPort(remotePort);
    }

    /** The connection of an inbound segment: our address of its family and port, and its source. */
    private String connection(Segment seg) {
        IpAddress source = seg.source();
        return connection(layer.localAddress(source), seg.destinationPort, source, seg.sourcePort);
    }

    private static String connection(Tcb tcb) {
        return connection(tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort);
    }

    private static String describe(Segment seg) {
        return SegmentText.describe(seg.flags, seg.seq, seg.ack, seg.window, seg.payloadLength, seg.options);
    }

    /**
     * Records why the next segment {@code tcb} sends on this thread goes out (null: a segment
     * without a Tcb, from a record or for no socket). Costs one volatile read when tracing is off.
     */
    void cause(Tcb tcb, Rule rule) {
        if (tracer.enabled()) {
            Cause c = CAUSE.get();
            c.tcb = tcb;
            c.rule = rule;
        }
    }

    /** Forgets a cause nobody used (the segment it was for was not sent after all). */
    void clearCause() {
        if (tracer.enabled()) {
            CAUSE.get().rule = null;
        }
    }

    private static Rule takeCause(Tcb tcb) {
        Cause c = CAUSE.get();
        Rule rule = c.tcb == tcb ? c.rule : null;
        c.rule = null;
        c.tcb = null;
        return rule;
    }

    /** What a segment without a recorded cause is for, from its flags and the sender's state. */
    private static Rule impliedCause(Tcb tcb, int flags, int length) {
        if ((flags & TcpView.RST) != 0) {
            return Rule.RST_ABORT;
        }
        if ((flags & TcpView.SYN) != 0) {
            return tcb.state == TcpState.SYN_SENT ? Rule.ACTIVE_OPEN : Rule.PASSIVE_OPEN;
        }
        if (length > 0) {
            return Rule.DATA;
        }
        if ((flags & TcpView.FIN) != 0) {
            return Rule.FIN;
        }
        return Rule.ACK_NOW;
    }

    void segmentIn(Segment seg, String verdict) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.SEGMENT_IN, connection(seg), describe(seg) + " q" + seg.queue + " -> " + verdict, null, null);
        }
    }

    void segmentOut(Tcb tcb, ByteBuf buf, int offset, int length) {
        if (tracer.enabled()) {
            TcpView v = new TcpView().wrap(buf, offset, length);
            Rule rule = takeCause(tcb);
            if (rule == null) {
                rule = impliedCause(tcb, v.flags(), v.payloadLength());
            }
            // the variables as this segment leaves: snd.nxt past it (the sender advances it right after)
            int end = v.seq() + v.payloadLength() + ((v.flags() & (TcpView.SYN | TcpView.FIN)) != 0 ? 1 : 0);
            TraceEvent.Vars now = vars(tcb);
            if (SeqNum.gt(end, now.sndNxt())) {
                now = new TraceEvent.Vars(now.state(), now.iss(), now.irs(), now.sndUna(), end, now.rcvNxt(), now.sndWnd(),
                        now.rcvWnd(), now.cwnd(), now.ssthresh(), now.mss(), now.timers());
            }
            emit(TraceEvent.Kind.SEGMENT_OUT, connection(tcb), SegmentText.describe(buf, offset, length) + " ["
                    + tcb.state.ssName() + "]", rule.name(), now);
        }
    }

    void bareOut(IpAddress localAddress, IpAddress remoteAddress, int localPort, int remotePort, ByteBuf buf, int offset,
            int length) {
        if (tracer.enabled()) {
            Rule rule = takeCause(null);
            if (rule == null) {
                rule = (new TcpView().wrap(buf, offset, length).flags() & TcpView.RST) != 0 ? Rule.RST_NO_SOCKET
                        : Rule.RECORD_ACK;
            }
            emit(TraceEvent.Kind.SEGMENT_OUT, connection(localAddress, localPort, remoteAddress, remotePort),
                    SegmentText.describe(buf, offset, length), rule.name(), null);
        }
    }

    void drop(Segment seg, DropReason reason) {
        if (tracer.enabled()) {
            drop(seg, reason, reason.name());
        }
    }

    /** A drop whose rule is more specific than its reason's (tw_recycle's PAWS drop of a SYN). */
    void drop(Segment seg, DropReason reason, Rule rule) {
        if (tracer.enabled()) {
            drop(seg, reason, rule.name());
        }
    }

    private void drop(Segment seg, DropReason reason, String rule) {
        emit(TraceEvent.Kind.DROP, connection(seg),
                describe(seg) + " q" + seg.queue + " dropped: " + reason, rule, null);
    }

    void state(Tcb tcb, TcpState from, TcpState to, Rule rule) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.STATE, connection(tcb), from.ssName() + " -> " + to.ssName(), rule.name(), vars(tcb));
        }
    }

    /** A record's state change ({@code to} may say why: "CLOSED (timer)"). */
    void state(String connection, String from, String to, Rule rule) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.STATE, connection, from + " -> " + to, rule.name(), null);
        }
    }

    void timer(Tcb tcb, Rule rule, String what) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.TIMER, connection(tcb), what, rule.name(), vars(tcb));
        }
    }

    void note(Tcb tcb, Rule rule, String text) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.NOTE, connection(tcb), text, rule.name(), vars(tcb));
        }
    }

    /** Nagle holds {@code bytes} back until what is in flight is acknowledged. */
    void nagle(Tcb tcb, int bytes) {
        if (tracer.enabled()) {
            note(tcb, Rule.NAGLE, "Nagle holds " + bytes + " bytes until " + tcb.dataInFlight() + " in flight are acknowledged");
        }
    }

    /** The connection's variables after a segment or a timer was processed (verbose traces, ladders). */
    void vars(Tcb tcb, String what) {
        if (tracer.enabled() && tcb.state != TcpState.CLOSED) {
            emit(TraceEvent.Kind.VARS, connection(tcb), what, null, vars(tcb));
        }
    }

    /** A TIME-WAIT or FIN-WAIT-2 record's variables: what it remembers and how long it stays. */
    void recordVars(String connection, String state, int sndNxt, int rcvNxt, int rcvWnd, long msLeft) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.VARS, connection, "record", null, new TraceEvent.Vars(state, 0, 0, sndNxt, sndNxt,
                    rcvNxt, 0, rcvWnd, 0, Integer.MAX_VALUE, 0, "timewait:" + msLeft + ".000"));
        }
    }

    /** Under the Tcb lock: what ss -ti and the step-through page show. */
    private TraceEvent.Vars vars(Tcb tcb) {
        long now = clock.nanos();
        StringBuilder timers = new StringBuilder();
        if (tcb.retransmitTimer.isArmed()) {
            String name = switch (tcb.retransmitKind) {
                case PERSIST -> "persist";
                case REO_TIMEOUT -> "reorder";
                case LOSS_PROBE -> "tlp";
                default -> "rto";
            };
            timer(timers, name, tcb.retransmitTimer.deadlineNanos() - now);
        }
        if (tcb.delackTimer.isArmed()) {
            timer(timers, "delack", tcb.delackTimer.deadlineNanos() - now);
        }
        if (tcb.keepaliveTimer.isArmed()) {
            timer(timers, "keepalive", tcb.keepaliveTimer.deadlineNanos() - now);
        }
        return new TraceEvent.Vars(tcb.state.ssName(), tcb.iss, tcb.irs, tcb.sndUna, tcb.sndNxt, tcb.rcvNxt, tcb.sndWnd,
                tcb.rcvWnd, tcb.cong.cwnd, tcb.cong.ssthresh, tcb.sndMss, timers.toString());
    }

    private static void timer(StringBuilder sb, String name, long leftNanos) {
        if (sb.length() > 0) {
            sb.append(',');
        }
        long micros = Math.max(leftNanos, 0) / 1000;
        sb.append(name).append(':').append(micros / 1000).append('.').append(String.format("%03d", micros % 1000));
    }
}
