package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.wire.TcpSegment;
import org.junit.jupiter.api.Test;

/**
 * What reordering (multi-queue inbound without affinity) does to the window and to PAWS, and the
 * Linux rules that keep a connection going through it.
 */
class ReorderingScenarioTest extends ScenarioBase {

    private void write(int bytes) throws Exception {
        assertThat(conn.write(new byte[bytes], 0, bytes, false, 0)).isEqualTo(bytes);
    }

    @Test
    void an_advancing_ack_on_a_retransmission_updates_the_window_and_our_acks_stay_acceptable() throws Exception {
        establishedPassive();
        // "abcd" is lost; "efgh" arrives out of order and sets SND.WL1
        h.inject(peer("P.", PEER_ISS + 5, iss + 1).payload("efgh").build());
        h.expect(match().flags(".").ack(PEER_ISS + 1));
        write(2920);
        h.expect(match().flags(".").seq(iss + 1).payloadLength(1460));
        h.expect(match().flags("P.").seq(iss + 1461).payloadLength(1460));

        // the retransmission of "abcd" (SEG.SEQ < SND.WL1) acks our first segment and offers
        // 1000 bytes: the right edge is now iss+2461, below SND.NXT (iss+2921)
        h.inject(peer("P.", PEER_ISS + 1, iss + 1461).window(1000).payload("abcd").build());
        // the filled hole is acked at the window's edge, not at SND.NXT (tcp_acceptable_seq)
        h.expect(match().flags(".").seq(iss + 2461).ack(PEER_ISS + 9));
        write(2000);
        h.expectNothingFor(100);
    }

    @Test
    void paws_lets_one_tick_of_reordering_and_disordered_duplicate_acks_through() throws Exception {
        TcpSettings s = plainSettings();
        s.timestamps = true;
        harness(s);
        listening();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, -1, false, 5000L, 0L)).build());
        TcpSegment synAck = h.expect(match().flags("S."));
        iss = u(synAck.seq());
        long ourTs = synAck.options().tsVal();
        h.inject(peer(".", PEER_ISS + 1, iss + 1).ts(5001, ourTs).build());
        conn = server.poll();
        h.inject(peer("P.", PEER_ISS + 1, iss + 1).ts(5002, ourTs).payload("ab").build());
        h.expect(match().flags(".").ack(PEER_ISS + 3));

        // one tick behind TS.Recent: within TCP_PAWS_WINDOW
        h.inject(peer("P.", PEER_ISS + 3, iss + 1).ts(5001, ourTs).payload("cd").build());
        h.expect(match().flags(".").ack(PEER_ISS + 5));
        // pure ACKs overtaking each other: the older duplicate, from further back but within
        // one RTO, passes (tcp_disordered_ack)
        h.inject(peer(".", PEER_ISS + 5, iss + 1).ts(5003, ourTs).build());
        h.inject(peer(".", PEER_ISS + 5, iss + 1).ts(4950, ourTs).build());
        h.expectNothingFor(10);
        assertThat(stat(Counter.TcpExtPAWSEstab)).isZero();
        // data from as far back fails PAWS
        h.inject(peer("P.", PEER_ISS + 5, iss + 1).ts(4950, ourTs).payload("ef").build());
        h.expect(match().flags(".").ack(PEER_ISS + 5));
        assertThat(stat(Counter.TcpExtPAWSEstab)).isEqualTo(1);
    }
}
