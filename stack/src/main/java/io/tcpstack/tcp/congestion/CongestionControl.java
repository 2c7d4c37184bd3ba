package io.tcpstack.tcp.congestion;

import io.tcpstack.profile.CongestionAlgorithm;
import io.tcpstack.stats.StackStats;

/**
 * A congestion control algorithm, as Linux's struct tcp_congestion_ops plugs one into the
 * sender: the stack detects loss (RACK, duplicate ACKs, the retransmission timer), runs loss
 * recovery and undo, and reduces cwnd by PRR during recovery; the algorithm decides how cwnd grows
 * ({@link #congAvoid}), where it falls to after a loss ({@link #ssthresh}) and what an undo
 * restores ({@link #undoCwnd}). One instance per connection (it may keep state, as Linux's
 * icsk_ca_priv). Called under the connection's lock.
 */
public interface CongestionControl {

    /** A new instance of {@code algorithm}, for one connection, counting into {@code stats}. */
    static CongestionControl of(CongestionAlgorithm algorithm, StackStats stats) {
        return switch (algorithm) {
            case RENO -> new NewReno();
            case CUBIC -> new Cubic(stats);
        };
    }

    /** The name ss -ti shows and the congestion-control knob takes (reno, cubic). */
    String name();

    /** .init: the connection is established. */
    default void init(CongestionState s) {
    }

    /** .ssthresh: the slow-start threshold after a congestion signal (a loss, ECE). */
    int ssthresh(CongestionState s);

    /**
     * .cong_avoid: {@code acked} segments were newly delivered while cwnd is not being reduced;
     * grow cwnd (slow start, then congestion avoidance).
     */
    void congAvoid(CongestionState s, int acked);

    /** .undo_cwnd: cwnd after a reduction turned out to be spurious (D-SACK, timestamps). */
    int undoCwnd(CongestionState s);

    /** .set_state: the sender's state changed. */
    default void setState(CongestionState s, CaState state) {
    }

    /** .cwnd_event. */
    default void cwndEvent(CongestionState s, CwndEvent event) {
    }

    /** .pkts_acked: {@code acked} segments left the flight; {@code rttMicros} is their RTT sample or -1. */
    default void pktsAcked(CongestionState s, int acked, long rttMicros) {
    }
}
