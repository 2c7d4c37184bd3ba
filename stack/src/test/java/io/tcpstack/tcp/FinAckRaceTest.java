package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.types.TcpState;
import io.tcpstack.inbound.InboundQueues;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The FIN/ACK race of stack/BEHAVIOURS.md 1, as two queue readers would run it,
 * deterministically: the stack (A) closes first; the peer (B) answers with a pure ACK of A's FIN,
 * sent by its kernel in softirq on one CPU, and right after with its own FIN/ACK or RST, sent by
 * its application on another. Without affinity each arrives on its sending CPU's queue; the
 * FIN/ACK's reader looks the Tcb up, and before it takes the lock the ACK's reader processes the
 * ACK to completion (FIN_WAIT_1 -> orphaned FIN_WAIT_2 record).
 */
class FinAckRaceTest extends ScenarioBase {
    /** The CPU the peer's kernel ACKs our FIN on (softirq, where our FIN was processed). */
    private static final int SOFTIRQ_CPU = 0;
    /** The CPU the peer's application closes on. */
    private static final int APPLICATION_CPU = 1;

    private void closerInFinWait1(Affinity affinity) throws IOException {
        TcpSettings s = plainSettings();
        s.affinity = affinity;
        harness(s, 2, InboundQueues.Mode.STEPPED);
        establishedPassive();
        conn.close(); // orphan, FIN_WAIT_1
        h.expect(match().flags("F.").seq(iss + 1).ack(PEER_ISS + 1));
    }

    /**
     * Delivers the peer's ACK and then its second segment, each from its CPU, and runs the two
     * queues the way the losing interleaving goes: the second segment's reader starts first, and
     * between its lookup and its lock the ACK's reader runs (if the two are different threads).
     */
    private void race(TcpSegment second) {
        race(SOFTIRQ_CPU, APPLICATION_CPU, second);
    }

    private void race(int ackCpu, int secondCpu, TcpSegment second) {
        TcpSegment ack = peer(".", PEER_ISS + 1, iss + 2).build();
        int ackWorker = h.deliver(ackCpu, ack);
        int secondWorker = h.deliver(secondCpu, second);
        boolean[] interleaved = {false};
        h.stack.tcp().rcv().setLookupObserver((queue, key) -> {
            if (queue == secondWorker && ackWorker != secondWorker && !interleaved[0]) {
                interleaved[0] = true;
                h.step(ackWorker);
            }
        });
        h.step(secondWorker);
        h.drain();
        h.stack.tcp().rcv().setLookupObserver(null);
    }

    @Test
    void without_affinity_the_fin_ack_is_lost_and_the_closer_stays_in_fin_wait_2() throws IOException {
        closerInFinWait1(Affinity.NONE);
        race(peer("F.", PEER_ISS + 1, iss + 2).build());
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
        assertThat(stat(Counter.TcpExtStaleLookupDrop)).isEqualTo(1);
        assertThat(h.stack.stats().get(DropReason.TCP_CLOSE)).isEqualTo(1);
        // no ACK of the peer's FIN went out: the peer stays in LAST_ACK until it retransmits
        assertThat(h.unread()).isEmpty();
    }

    @Test
    void with_flow_affinity_the_same_input_ends_in_time_wait() throws IOException {
        closerInFinWait1(Affinity.FLOW);
        race(peer("F.", PEER_ISS + 1, iss + 2).build());
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(stat(Counter.TcpExtStaleLookupDrop)).isZero();
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
    }

    /** The peer's kernel and application on one CPU: one queue, processed in order, no race. */
    @Test
    void without_affinity_two_segments_sent_from_one_cpu_share_a_queue_and_end_in_time_wait() throws IOException {
        closerInFinWait1(Affinity.NONE);
        race(APPLICATION_CPU, APPLICATION_CPU, peer("F.", PEER_ISS + 1, iss + 2).build());
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(stat(Counter.TcpExtStaleLookupDrop)).isZero();
    }

    /** Spray hands consecutive packets to different workers whatever CPU sent them. */
    @Test
    void spray_races_even_segments_sent_from_one_cpu() throws IOException {
        closerInFinWait1(Affinity.SPRAY);
        race(SOFTIRQ_CPU, SOFTIRQ_CPU, peer("F.", PEER_ISS + 1, iss + 2).build());
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
        assertThat(stat(Counter.TcpExtStaleLookupDrop)).isEqualTo(1);
    }

    @Test
    void rst_variant_leaves_the_fin_wait_2_record_for_fin_timeout() throws IOException {
        closerInFinWait1(Affinity.NONE);
        race(peer("R.", PEER_ISS + 1, iss + 2).build());
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
        assertThat(stat(Counter.TcpExtStaleLookupDrop)).isEqualTo(1);
        h.advance(59_000);
        assertThat(listedState()).isEqualTo(TcpState.FIN_WAIT_2);
        h.advance(1_001);
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
    }

    @Test
    void the_reconnect_from_the_same_port_gets_the_old_flow_ack_then_the_rst_clears_the_way() throws IOException {
        closerInFinWait1(Affinity.NONE);
        race(peer("R.", PEER_ISS + 1, iss + 2).build());
        long newIss = 2_000_000_000L;
        h.inject(peer("S", newIss, 0).build());
        // the FIN_WAIT_2 record answers for the old flow: seq = old snd.nxt, ack = old rcv.nxt
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 1));
        // rate limit: a second SYN within 500 ms gets nothing (tcp_oow_rate_limited covers SYNs)
        h.inject(peer("S", newIss, 0).build());
        assertThat(h.unread()).isEmpty();
        assertThat(stat(Counter.TcpExtTCPACKSkippedFinWait2)).isEqualTo(1);
        // the peer in SYN-SENT answers with RST seq = that ACK, which is in window: the record dies
        h.inject(peer("R", PEER_ISS + 1, 0).build());
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
        // and its resent SYN reaches the listener
        h.inject(peer("S", newIss, 0).build());
        h.expect(match().flags("S.").ack(newIss + 1));
    }

    @Test
    void a_syn_inside_the_old_receive_window_is_refused_with_rst() throws IOException {
        closerInFinWait1(Affinity.NONE);
        race(peer("R.", PEER_ISS + 1, iss + 2).build());
        h.inject(peer("S", PEER_ISS + 10, 0).build());
        h.expect(match().flags("R.").seq(0).ack(PEER_ISS + 11));
        assertThat(listedState()).isEqualTo(TcpState.CLOSED);
    }

    @Test
    void a_fin_retransmitted_by_the_peer_in_last_ack_heals_fin_wait_2_into_time_wait() throws IOException {
        closerInFinWait1(Affinity.NONE);
        race(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.inject(peer("F.", PEER_ISS + 1, iss + 2).build());
        h.expect(match().flags(".").seq(iss + 2).ack(PEER_ISS + 2));
        assertThat(listedState()).isEqualTo(TcpState.TIME_WAIT);
    }
}
