package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.tcp.congestion.CongestionState;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sender's loss detection against a scripted receiver, packet by packet on virtual time:
 * RACK's reordering window (RFC 8985 6.2), the tail loss probe (RFC 8985 7) and undo of a
 * spurious recovery on D-SACK (RFC 2883, Linux tcp_try_undo_dsack). The handshake takes 20 ms, so
 * min_rtt = SRTT = 20 ms, RACK's reordering window is min_rtt / 4 = 5 ms, the probe timeout
 * 2 SRTT + 2 ms = 42 ms and the RTO 220 ms.
 */
class RackTlpScenarioTest extends ScenarioBase {
    private static final long RTT = 20;

    /** SACK on, no timestamps or window scaling: exact segments, and no Eifel undo by timestamps. */
    private void establishedWithSack() throws IOException {
        TcpSettings s = plainSettings();
        s.sack = true;
        harness(s);
        listening();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(ourMss(), -1, true, null, null)).build());
        iss = u(h.expect(match().flags("S.")).seq());
        h.advance(RTT);
        h.inject(peer(".", PEER_ISS + 1, iss + 1).build());
        conn = server.poll();
        assertThat(conn).isNotNull();
    }

    /** Writes {@code n} full segments and takes them as they leave; returns when they left (ms). */
    private long send(int n) throws Exception {
        conn.write(new byte[n * ourMss()], 0, n * ourMss(), false, 0);
        long at = h.nowMillis();
        for (int i = 0; i < n; i++) {
            h.expect(match().flags(i == n - 1 ? "P." : ".").seq(seg(i)).payloadLength(ourMss()));
        }
        return at;
    }

    /** First sequence number of our i-th segment (0-based). */
    private long seg(int i) {
        return iss + 1 + (long) i * ourMss();
    }

    /** The peer's ACK of everything before {@code ack}, SACKing [left, right) pairs. */
    private TcpSegment ack(long ack, long... sack) {
        int[] blocks = new int[sack.length];
        for (int i = 0; i < sack.length; i++) {
            blocks[i] = (int) sack[i];
        }
        return peer(".", PEER_ISS + 1, ack).options(new TcpSegment.Options(-1, -1, false, null, null, blocks)).build();
    }

    private ConnectionInfo.Details details() {
        return h.stack.connections().stream().filter(c -> c.remotePort() == PEER_PORT).findFirst().orElseThrow()
                .details();
    }

    @Test
    void one_sacked_segment_above_a_hole_waits_the_reordering_window_before_the_hole_is_retransmitted()
            throws Exception {
        establishedWithSack();
        send(5);
        h.advance(RTT);
        h.inject(ack(seg(0), seg(1), seg(2))); // segment 1 arrived, segment 0 not (yet)
        long sackAt = h.nowMillis();
        // RFC 8985 6.2: not lost until RACK.rtt + reo_wnd (min_rtt / 4) after it was sent; the
        // reordering timer fires then, plus TCP_TIMEOUT_MIN (Linux tcp_rack_mark_lost)
        h.expectNothingFor(6);
        PacketHarness.Timed resent = h.advanceUntilSent(100);
        h.expect(match().flags(".").seq(seg(0)).payloadLength(ourMss()));
        assertThat(resent.atMillis() - sackAt).isEqualTo(RTT / 4 + 2);
        assertThat(stat(Counter.TcpExtTCPSackRecovery)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtTCPTimeouts)).isZero();
    }

    @Test
    void a_hole_filled_within_the_reordering_window_is_not_retransmitted_and_counts_as_reordering() throws Exception {
        establishedWithSack();
        send(5);
        h.advance(RTT);
        h.inject(ack(seg(0), seg(1), seg(2)));
        h.advance(3); // within the 5 ms window the late segment arrives, and so does the rest
        h.inject(ack(seg(5)));
        h.expectNothingFor(1000);
        assertThat(stat(Counter.TcpRetransSegs)).isZero();
        assertThat(stat(Counter.TcpExtTCPSACKReorder)).as("a segment never resent filled the hole").isEqualTo(1);
    }

    @Test
    void three_sacked_segments_make_the_hole_lost_at_once_as_the_duplicate_ack_threshold_does() throws Exception {
        establishedWithSack();
        send(5);
        h.advance(RTT);
        h.inject(ack(seg(0), seg(1), seg(4)));
        // no reordering seen and sacked_out >= tp->reordering (3): reo_wnd is 0 (tcp_rack_reo_wnd)
        h.expect(match().flags(".").seq(seg(0)).payloadLength(ourMss()));
        assertThat(stat(Counter.TcpExtTCPFastRetrans)).isEqualTo(1);
    }

    @Test
    void a_lost_tail_is_recovered_by_the_loss_probe_and_sack_recovery_not_by_the_rto() throws Exception {
        establishedWithSack();
        send(10);
        h.advance(RTT);
        h.inject(ack(seg(8))); // the last two segments were lost
        long ackAt = h.nowMillis();
        PacketHarness.Timed probe = h.advanceUntilSent(300);
        // RFC 8985 7.2: PTO = 2 SRTT + TCP_TIMEOUT_MIN with more than one segment out; the probe
        // is the last segment again (no new data to send)
        h.expect(match().flags("P.").seq(seg(9)).payloadLength(ourMss()));
        assertThat(probe.atMillis() - ackAt).isEqualTo(2 * RTT + 2);
        assertThat(stat(Counter.TcpExtTCPLossProbes)).isEqualTo(1);
        // the probe arrives: the receiver SACKs it, and RACK finds the segment before it lost
        h.advance(RTT);
        h.inject(ack(seg(8), seg(9), seg(10)));
        h.expect(match().flags(".").seq(seg(8)).payloadLength(ourMss()));
        h.inject(ack(seg(10)));
        h.expectNothingFor(1000);
        assertThat(stat(Counter.TcpExtTCPSackRecovery)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtTCPTimeouts)).as("the RTO never fired").isZero();
        assertThat(stat(Counter.TcpRetransSegs)).isEqualTo(2);
    }

    /**
     * RFC 6937's pseudocode, run beside the stack: a window of 20 segments with the first lost
     * enters recovery on three SACKs; then the receiver acknowledges each segment as it arrives
     * (the retransmission after the originals), and after every ACK the stack must send exactly
     * the sndcnt PRR gives (PRR-SSRB), until recovery ends.
     */
    @Test
    void proportional_rate_reduction_sends_what_rfc_6937_gives_on_every_ack_of_a_recovery() throws Exception {
        establishedWithSack();
        conn.write(new byte[200 * ourMss()], 0, 200 * ourMss(), false, 0);
        h.discardUnread(); // the initial window, segments 0..9
        h.advance(RTT);
        h.inject(ack(seg(10))); // slow start: cwnd 10 -> 20, segments 10..29 go
        assertThat(h.unread()).hasSize(20);
        h.discardUnread();
        h.advance(RTT);
        // segment 10 was lost; 11..13 arrived: one ACK SACKs all three (reo_wnd 0, recovery)
        int ssthresh = 20 * 717 / 1024; // CUBIC's beta
        int recoverFs = 20;
        int prrDelivered = 0;
        int prrOut = 0;
        java.util.ArrayDeque<Long> arriving = new java.util.ArrayDeque<>();
        java.util.TreeSet<Long> received = new java.util.TreeSet<>();
        for (int i = 11; i <= 13; i++) {
            received.add(seg(i));
        }
        for (int i = 14; i < 30; i++) {
            arriving.add(seg(i));
        }
        long sndNxt = seg(30);
        long highSeq = sndNxt;
        long rcvNxt = seg(10);
        boolean holeRetransmitted = false;
        int delivered = 3;
        int acks = 0;
        while (rcvNxt < highSeq) {
            long sackRight = received.isEmpty() ? 0 : received.last() + ourMss();
            h.inject(received.isEmpty() ? ack(rcvNxt) : ack(rcvNxt, received.first(), sackRight));
            // the model: pipe (RFC 6675 SetPipe) after this ACK, then PRR's sndcnt
            int outstanding = (int) ((sndNxt - rcvNxt) / ourMss());
            int pipe = outstanding - received.size() - (holeRetransmitted ? 0 : 1);
            prrDelivered += delivered;
            int sndcnt = pipe > ssthresh
                    ? (int) Math.ceil((double) prrDelivered * ssthresh / recoverFs) - prrOut
                    : Math.min(ssthresh - pipe, Math.max(prrDelivered - prrOut, delivered) + 1);
            List<TcpSegment> sent = h.unread();
            h.discardUnread();
            assertThat(sent).as("ACK %d of the recovery, pipe %d, prr_delivered %d, prr_out %d", acks, pipe,
                    prrDelivered, prrOut).hasSize(Math.max(sndcnt, 0));
            for (TcpSegment x : sent) {
                long seq = u(x.seq());
                if (seq == seg(10)) {
                    holeRetransmitted = true;
                } else {
                    sndNxt = Math.max(sndNxt, seq + ourMss());
                }
                arriving.add(seq);
            }
            prrOut += sent.size();
            // the next segment reaches the receiver and is acknowledged
            long next = arriving.poll();
            received.add(next);
            while (received.contains(rcvNxt)) {
                received.remove(rcvNxt);
                rcvNxt += ourMss();
            }
            delivered = 1;
            acks++;
        }
        // 16 ACKs for the originals 14..29, in the proportional phase and then PRR-SSRB, and the
        // ACK of the retransmission, which reaches high_seq
        assertThat(acks).isEqualTo(17);
        assertThat(stat(Counter.TcpExtTCPSackRecovery)).isEqualTo(1);
    }

    @Test
    void a_spurious_fast_retransmission_is_undone_when_the_dsack_of_it_arrives() throws Exception {
        establishedWithSack();
        send(6);
        assertThat(details().cwnd()).isEqualTo(10);
        h.advance(RTT);
        // segment 0 is only late: three segments SACKed above it make it lost (reo_wnd 0)
        h.inject(ack(seg(0), seg(1), seg(4)));
        h.expect(match().flags(".").seq(seg(0)).payloadLength(ourMss()));
        assertThat(details().ssthresh()).as("recovery: ssthresh = cwnd x beta (CUBIC, 717/1024)").isEqualTo(7);
        // the original arrives: a partial ACK (recovery lasts to high_seq, past segment 5)
        h.inject(ack(seg(5)));
        // then the retransmission, a duplicate: the peer reports it below the cumulative ACK
        h.inject(ack(seg(5), seg(0), seg(1)));
        assertThat(stat(Counter.TcpExtTCPDSACKRecv)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtTCPDSACKUndo)).as("every retransmission was spurious").isEqualTo(1);
        assertThat(details().cwnd()).as("tcp_undo_cwnd_reduction: back to prior_cwnd").isEqualTo(10);
        assertThat(details().ssthresh()).isEqualTo(CongestionState.INFINITE_SSTHRESH);
    }
}
