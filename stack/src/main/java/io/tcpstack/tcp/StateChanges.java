package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.trace.Rule;

/**
 * Moves of a connection along RFC 9293's state diagram, under its Tcb lock (Linux tcp_set_state,
 * tcp_done, tcp_reset): each traced with the rule behind it, the end of a connection with its
 * error, the counters Linux keeps at each edge.
 */
final class StateChanges {
    private final TcpLayer layer;

    StateChanges(TcpLayer layer) {
        this.layer = layer;
    }

    void setState(Tcb tcb, TcpState state) {
        setState(tcb, state, transition(tcb.state, state));
    }

    private void setState(Tcb tcb, TcpState state, Rule rule) {
        TcpState from = tcb.state;
        tcb.state = state;
        layer.trace().state(tcb, from, state, rule);
        Wakeups.notify(tcb);
    }

    /**
     * The rule behind a move along an edge of RFC 9293's state diagram (Figure 5); each edge has
     * one, except into CLOSED, which {@link #close} names from the error.
     */
    static Rule transition(TcpState from, TcpState to) {
        return switch (to) {
            case SYN_SENT -> Rule.ACTIVE_OPEN;
            case SYN_RECEIVED -> from == TcpState.SYN_SENT ? Rule.SIMULTANEOUS_OPEN : Rule.PASSIVE_OPEN;
            case ESTABLISHED -> from == TcpState.SYN_SENT ? Rule.HANDSHAKE_ACK : Rule.HANDSHAKE_DONE;
            case FIN_WAIT_1, LAST_ACK -> Rule.CLOSE_CALL;
            case CLOSE_WAIT -> Rule.PEER_FIN;
            // an orphan's full socket becoming a record (TimeWait.enter) keeps the state name
            case FIN_WAIT_2 -> from == TcpState.FIN_WAIT_2 ? Rule.FIN_WAIT_2_RECORD : Rule.FIN_ACKED;
            case CLOSING -> Rule.SIMULTANEOUS_CLOSE;
            case TIME_WAIT -> Rule.TIME_WAIT;
            case CLOSED -> from == TcpState.LAST_ACK ? Rule.FIN_ACKED : Rule.CLOSED_QUIETLY;
            case LISTEN -> Rule.PASSIVE_OPEN;
        };
    }

    /** The handshake completed (SYN-SENT or SYN-RECEIVED -> ESTABLISHED). */
    void established(Tcb tcb) {
        tcb.counters.establishedNanos = layer.clock().nanos();
        setState(tcb, TcpState.ESTABLISHED);
        tcb.retransmits = 0;
        tcb.retransStampMs = 0;
        tcb.cong.cwnd = TcpSettings.INIT_CWND;
        tcb.cc.init(tcb.congestion());
        tcb.lastActivityMs = layer.nowMs();
        RcvBufAutotuning.initBufferSpace(tcb, layer.clock().nanos());
        TcpTimers.rearmRto(tcb);
        TcpTimers.armKeepalive(tcb);
        if (tcb.listener != null) {
            layer.stats().inc(Counter.TcpPassiveOpens);
            tcb.listener.established(tcb);
        }
    }

    /** A valid RST arrived (RFC 9293 3.10.7.4 second; Linux tcp_reset). */
    void reset(Tcb tcb) {
        TcpError error = switch (tcb.state) {
            case SYN_SENT -> TcpError.CONNECTION_REFUSED;
            case CLOSE_WAIT -> TcpError.BROKEN_PIPE;
            default -> TcpError.CONNECTION_RESET;
        };
        close(tcb, tcb.listener != null && tcb.state == TcpState.SYN_RECEIVED ? null : error, false, Rule.RESET_RECEIVED);
    }

    /**
     * Ends a connection: CLOSED, out of the layer.demux() table, timers stopped, waiters woken. {@code
     * error} is what the application will see (null: a normal close).
     */
    void close(Tcb tcb, TcpError error, boolean sendReset) {
        Rule rule = error == null ? transition(tcb.state, TcpState.CLOSED) : switch (error) {
            case TIMED_OUT -> Rule.TIMED_OUT;
            case ABORTED -> Rule.ABORTED;
            case CONNECTION_REFUSED, CONNECTION_RESET, BROKEN_PIPE -> Rule.RESET_RECEIVED;
        };
        close(tcb, error, sendReset, rule);
    }

    private void close(Tcb tcb, TcpError error, boolean sendReset, Rule rule) {
        TcpState from = tcb.state;
        if (from == TcpState.CLOSED) {
            return;
        }
        if (sendReset) {
            layer.trace().cause(tcb, Rule.RST_ABORT);
            layer.output().sendReset(tcb);
        }
        if (from == TcpState.ESTABLISHED || from == TcpState.CLOSE_WAIT) {
            if (error != null) {
                layer.stats().inc(Counter.TcpEstabResets); // Linux tcp_set_state: ESTABLISHED/CLOSE_WAIT -> CLOSE
            }
        } else if (from == TcpState.SYN_SENT || from == TcpState.SYN_RECEIVED) {
            layer.stats().inc(Counter.TcpAttemptFails);
        }
        if (error != null) {
            tcb.error = error;
        }
        setState(tcb, TcpState.CLOSED, rule);
        release(tcb);
        layer.demux().remove(tcb);
    }

    /** Marks a Tcb CLOSED after its 4-tuple moved on (to a TIME_WAIT record, or gone). */
    void release(Tcb tcb) {
        tcb.state = TcpState.CLOSED;
        TcpTimers.cancelAll(tcb);
        if (tcb.orphan) {
            layer.limits().orphanGone();
        }
        layer.memory().release(tcb);
        if (tcb.listener != null) {
            Listener l = tcb.listener;
            tcb.listener = null;
            l.abandoned(tcb);
        }
        Wakeups.notify(tcb);
    }

    void drop(Tcb tcb, Segment seg, DropReason reason) {
        drop(seg, reason);
    }

    void drop(Segment seg, DropReason reason) {
        layer.stats().drop(reason);
        layer.trace().drop(seg, reason);
    }

    /** Under the lock: RST where the state has a peer to tell, CLOSED, the owner sees ECONNABORTED. */
    void abort(Tcb tcb) {
        boolean needsReset = tcb.state.isSynchronized() || tcb.state == TcpState.SYN_RECEIVED;
        close(tcb, TcpError.ABORTED, needsReset);
    }
}
