package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.DropReason;
import io.tcpstack.time.Clock;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpView;

/** Formats TCP events for the {@link Tracer}; does nothing (and allocates nothing) when tracing is off. */
final class TcpTrace {
    private final Tracer tracer;
    private final Clock clock;

    private final TcpLayer layer;

    TcpTrace(Tracer tracer, Clock clock, TcpLayer layer) {
        this.tracer = tracer;
        this.clock = clock;
        this.layer = layer;
    }

    boolean enabled() {
        return tracer.enabled();
    }

    private void emit(TraceEvent.Kind kind, String connection, String text) {
        tracer.emit(new TraceEvent(clock.nanos(), kind, connection, text));
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

    private static String describe(ByteBuf buf, int offset, int length) {
        TcpView v = new TcpView().wrap(buf, offset, length);
        return TcpView.flagString(v.flags()) + " seq=" + Integer.toUnsignedString(v.seq()) + " ack="
                + Integer.toUnsignedString(v.ack()) + " win=" + v.window() + " len=" + v.payloadLength();
    }

    void segmentIn(Segment seg, String verdict) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.SEGMENT_IN, connection(seg), seg + " q" + seg.queue + " -> " + verdict);
        }
    }

    void segmentOut(Tcb tcb, ByteBuf buf, int offset, int length) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.SEGMENT_OUT, connection(tcb), describe(buf, offset, length) + " [" + tcb.state.ssName() + "]");
        }
    }

    void bareOut(IpAddress localAddress, IpAddress remoteAddress, int localPort, int remotePort, ByteBuf buf, int offset,
            int length) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.SEGMENT_OUT, connection(localAddress, localPort, remoteAddress, remotePort),
                    describe(buf, offset, length));
        }
    }

    void drop(Segment seg, DropReason reason) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.DROP, connection(seg), seg + " q" + seg.queue + " dropped: " + reason);
        }
    }

    void state(Tcb tcb, TcpState from, TcpState to) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.STATE, connection(tcb), from.ssName() + " -> " + to.ssName());
        }
    }

    void state(String connection, String from, String to) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.STATE, connection, from + " -> " + to);
        }
    }

    void timer(Tcb tcb, String what) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.TIMER, connection(tcb), what);
        }
    }

    void note(Tcb tcb, String text) {
        if (tracer.enabled()) {
            emit(TraceEvent.Kind.NOTE, connection(tcb), text);
        }
    }
}
