package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.TcpServerSocket;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.profile.TsOffsetMode;
import io.tcpstack.stats.Counter;
import io.tcpstack.testing.Seg;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A listener's request queue and SYN cookies as Linux has them (tcp_conn_request,
 * syncookies.c): the queue takes backlog + 1 requests, then SYNs get cookies (or, with
 * tcp_syncookies 0, nothing); a cookie comes back in the ACK with the SYN's MSS, window scale and
 * SACK, and goes stale after two minutes. {@link SynQueueScenarioIpv6Test} runs it over IPv6.
 */
class SynQueueScenarioTest extends ScenarioBase {
    private static final int BACKLOG = 2;

    /** Timestamps on, our clock without offset: the cookie's low TSval bits can be read off the wire. */
    static TcpSettings cookieSettings() {
        TcpSettings s = new TcpSettings();
        s.tsOffsetMode = TsOffsetMode.NONE;
        return s;
    }

    void listen(TcpSettings settings, int backlog) throws IOException {
        harness(settings);
        server = h.stack.listen(STACK_PORT, backlog);
    }

    /** tcp_syncookies = 2: every SYN gets a cookie. */
    private void listenWithCookiesForEverySyn() throws IOException {
        TcpSettings s = cookieSettings();
        s.syncookies = 2;
        listen(s, BACKLOG);
    }

    Seg.Builder from(int port, String flags, long seq, long ack) {
        return Seg.from(port, STACK_PORT).v6(ipv6).flags(flags).seq(seq).ack(ack);
    }

    /** A SYN from {@code port} with MSS 1460, window scale 7, SACK and a timestamp; the stack's SYN-ACK. */
    TcpSegment synWithEverything(int port, long tsVal) {
        h.inject(from(port, "S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, 7, true, tsVal, 0L)).build());
        return h.expect(match().flags("S.").dstPort(port).ack(PEER_ISS + 1));
    }

    /** Fills the request queue (backlog + 1 requests, from ports 50000 on) without timestamps. */
    void fillRequestQueue() {
        for (int i = 0; i <= BACKLOG; i++) {
            h.inject(from(50000 + i, "S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, -1, false, null, null))
                    .build());
            h.expect(match().flags("S.").dstPort(50000 + i));
        }
        assertThat(requests()).isEqualTo(BACKLOG + 1);
        assertThat(stat(Counter.TcpExtSyncookiesSent)).isZero();
    }

    long requests() {
        return h.stack.connections().stream().filter(c -> c.state() == TcpState.SYN_RECEIVED).count();
    }

    private ConnectionInfo.Details details(int port) {
        return h.stack.connections().stream().filter(c -> c.remotePort() == port).findFirst().orElseThrow().details();
    }

    @Test
    void the_request_queue_takes_backlog_plus_one_then_syns_get_cookies() throws IOException {
        listen(cookieSettings(), BACKLOG);
        fillRequestQueue();
        TcpSegment synAck = synWithEverything(PEER_PORT, 5000);
        assertThat(requests()).as("a cookie keeps nothing").isEqualTo(BACKLOG + 1);
        assertThat(stat(Counter.TcpExtTCPReqQFullDoCookies)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtSyncookiesSent)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtListenDrops)).isZero();
        // the cookie SYN-ACK offers what the SYN did, in Linux's layout, and echoes its timestamp
        TcpSegment.Options o = synAck.options();
        assertThat(o.mss()).isEqualTo(ourMss());
        assertThat(o.sackPermitted()).isTrue();
        assertThat(o.wscale()).isEqualTo(h.stack.tcp().handshake().ourWindowScale());
        assertThat(o.tsEcr()).isEqualTo(5000L);
        // the low 6 bits of TSval: the peer's window scale (7) and SACK (bit 4); not after our clock
        assertThat(o.tsVal() & 0x3f).isEqualTo(7 | 16);
        assertThat(o.tsVal()).isLessThanOrEqualTo(h.nowMillis()).isGreaterThan(h.nowMillis() - 64);
        // the queue's requests still resend their SYN-ACKs, the cookie never
        h.advance(1000);
        for (int i = 0; i <= BACKLOG; i++) {
            h.expect(match().flags("S.").dstPort(50000 + i));
        }
        assertThat(h.unread()).isEmpty();
    }

    @Test
    void a_cookie_ack_establishes_with_the_syns_mss_window_scale_and_sack() throws Exception {
        listen(cookieSettings(), BACKLOG);
        fillRequestQueue();
        TcpSegment synAck = synWithEverything(PEER_PORT, 5000);
        long cookie = u(synAck.seq());
        h.advance(30);
        h.inject(from(PEER_PORT, "P.", PEER_ISS + 1, cookie + 1).ts(5030, synAck.options().tsVal())
                .payload("GET / HTTP/1.0\r\n\r\n").build());
        assertThat(stat(Counter.TcpExtSyncookiesRecv)).isEqualTo(1);
        h.expect(match().flags(".").seq(cookie + 1).ack(PEER_ISS + 1 + 18)); // the data is acknowledged at once
        conn = server.poll();
        assertThat(conn).as("accepted").isNotNull();
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
        ConnectionInfo.Details d = details(PEER_PORT);
        // peer MSS 1460 (IPv6: its cookie table's 1440) less the timestamp option
        assertThat(d.sndMss()).isEqualTo(ipv6 ? 1428 : 1448);
        assertThat(d.sndWscale()).isEqualTo(7);
        assertThat(d.rcvWscale()).isEqualTo(h.stack.tcp().handshake().ourWindowScale());
        assertThat(d.sack()).isTrue();
        assertThat(d.timestamps()).isTrue();
        // the data the ACK carried was delivered; our sequence numbers go on from the cookie
        byte[] buf = new byte[64];
        int n = conn.read(buf, 0, buf.length, false, 0);
        assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).isEqualTo("GET / HTTP/1.0\r\n\r\n");
        conn.write("ok".getBytes(StandardCharsets.US_ASCII), 0, 2, false, 0);
        h.expect(match().flags("P.").seq(cookie + 1).ack(PEER_ISS + 1 + 18).payloadLength(2));
    }

    @Test
    void a_cookie_carries_the_mss_rounded_down_to_its_table() throws IOException {
        listenWithCookiesForEverySyn();
        h.inject(from(PEER_PORT, "S", PEER_ISS, 0).options(TcpSegment.Options.syn(1400, 7, true, 5000L, 0L)).build());
        TcpSegment synAck = h.expect(match().flags("S."));
        h.inject(from(PEER_PORT, ".", PEER_ISS + 1, u(synAck.seq()) + 1).ts(5001, synAck.options().tsVal()).build());
        // IPv4's table carries 1400 as 1300, IPv6's as 1220 (IPV6_MIN_MTU - 60); less the timestamp option
        assertThat(details(PEER_PORT).sndMss()).isEqualTo(ipv6 ? 1208 : 1288);
    }

    @Test
    void without_a_timestamp_a_cookie_keeps_only_the_mss() throws IOException {
        listenWithCookiesForEverySyn();
        h.inject(from(PEER_PORT, "S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, 7, true, null, null)).build());
        TcpSegment synAck = h.expect(match().flags("S."));
        assertThat(synAck.options().mss()).isEqualTo(ourMss());
        assertThat(synAck.options().wscale()).as("no window scale offered").isEqualTo(-1);
        assertThat(synAck.options().sackPermitted()).isFalse();
        assertThat(synAck.options().tsVal()).isNull();
        assertThat(synAck.window()).as("an unscaled window of whole segments").isEqualTo(65535 / ourMss() * ourMss());
        h.inject(from(PEER_PORT, ".", PEER_ISS + 1, u(synAck.seq()) + 1).build());
        ConnectionInfo.Details d = details(PEER_PORT);
        assertThat(d.sndMss()).isEqualTo(ourMss());
        assertThat(d.sndWscale()).isZero();
        assertThat(d.rcvWscale()).isZero();
        assertThat(d.sack()).isFalse();
        assertThat(d.timestamps()).isFalse();
        assertThat(d.rtoMicros()).as("no RTT sample from the handshake: RFC 6298 5.7's 3 s").isEqualTo(3_000_000);
    }

    @Test
    void a_cookie_carries_ecn_when_the_syn_asked_for_it_and_had_a_timestamp() throws IOException {
        listenWithCookiesForEverySyn();
        h.inject(from(PEER_PORT, "SEW", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, 7, true, 5000L, 0L)).build());
        TcpSegment synAck = h.expect(match().that("SYN-ACK with ECE", t -> t.flags() == (TcpView.SYN | TcpView.ACK | TcpView.ECE)));
        assertThat(synAck.options().tsVal() & 0x3f).as("window scale 7, SACK, ECN").isEqualTo(7 | 16 | 32);
        h.inject(from(PEER_PORT, ".", PEER_ISS + 1, u(synAck.seq()) + 1).ts(5001, synAck.options().tsVal()).build());
        IpAddress peer = h.peer();
        Tcb tcb = h.stack.tcp().demux().get(Demux.key(peer, PEER_PORT, STACK_PORT), peer.hi(), peer.lo());
        assertThat(tcb.ecnFlags & Ecn.OK).as("ECN on").isEqualTo(Ecn.OK);
        // without a timestamp the cookie cannot carry it: no ECE, no ECN
        h.inject(from(PEER_PORT + 1, "SEW", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, 7, true, null, null))
                .build());
        h.expect(match().flags("S.").that("no ECE", t -> !t.has(TcpView.ECE)));
    }

    @Test
    void tcp_syncookies_2_answers_every_syn_with_a_cookie() throws IOException {
        listenWithCookiesForEverySyn();
        synWithEverything(PEER_PORT, 5000);
        assertThat(requests()).as("nothing kept").isZero();
        assertThat(stat(Counter.TcpExtTCPReqQFullDoCookies)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtSyncookiesSent)).isEqualTo(1);
        h.expectNothingFor(5000); // no SYN-ACK retransmission: there is nothing to retransmit from
    }

    @Test
    void a_stale_or_forged_cookie_gets_a_reset_and_is_counted() throws IOException {
        listenWithCookiesForEverySyn();
        TcpSegment synAck = synWithEverything(PEER_PORT, 5000);
        long cookie = u(synAck.seq());
        // a forged ACK: not the cookie (cookie + 1 would decode as the next MSS of the table)
        long forged = cookie + 1 + 0x10000;
        h.inject(from(PEER_PORT, ".", PEER_ISS + 1, forged).ts(5001, synAck.options().tsVal()).build());
        h.expect(match().flags("R").seq(forged));
        assertThat(stat(Counter.TcpExtSyncookiesFailed)).isEqualTo(1);
        // two minutes on, with cookies still going out (another SYN), the first one is too old
        h.advance(125_000);
        synWithEverything(PEER_PORT + 1, 9000);
        h.inject(from(PEER_PORT, ".", PEER_ISS + 1, cookie + 1).ts(9001, synAck.options().tsVal()).build());
        h.expect(match().flags("R").seq(cookie + 1));
        assertThat(stat(Counter.TcpExtSyncookiesFailed)).isEqualTo(2);
        assertThat(stat(Counter.TcpExtSyncookiesRecv)).isZero();
        assertThat(server.poll()).isNull();
    }

    @Test
    void an_ack_is_not_checked_for_a_cookie_unless_one_went_out_recently() throws IOException {
        listen(cookieSettings(), BACKLOG);
        h.inject(from(PEER_PORT, ".", PEER_ISS + 1, 777).build());
        h.expect(match().flags("R").seq(777));
        assertThat(stat(Counter.TcpExtSyncookiesFailed)).as("not even tried").isZero();
    }

    @Test
    void a_cookie_of_another_peer_port_fails() throws IOException {
        listenWithCookiesForEverySyn();
        TcpSegment synAck = synWithEverything(PEER_PORT, 5000);
        h.inject(from(PEER_PORT + 1, ".", PEER_ISS + 1, u(synAck.seq()) + 1).ts(5001, synAck.options().tsVal()).build());
        h.expect(match().flags("R"));
        assertThat(stat(Counter.TcpExtSyncookiesFailed)).isEqualTo(1);
    }

    @Test
    void without_syncookies_a_full_request_queue_drops_the_syn() throws IOException {
        TcpSettings s = cookieSettings();
        s.syncookies = 0;
        listen(s, BACKLOG);
        fillRequestQueue();
        h.inject(from(PEER_PORT, "S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, 7, true, 5000L, 0L)).build());
        assertThat(h.unread()).as("no answer").isEmpty();
        assertThat(stat(Counter.TcpExtTCPReqQFullDrop)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtListenDrops)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtSyncookiesSent)).isZero();
    }

    @Test
    void without_syncookies_the_last_quarter_of_max_syn_backlog_is_kept_for_proven_peers() throws IOException {
        TcpSettings s = cookieSettings();
        s.syncookies = 0;
        s.maxSynBacklog = 8;
        listen(s, 100);
        for (int i = 0; i < 7; i++) {
            h.inject(from(50000 + i, "S", PEER_ISS, 0).build());
        }
        // a SYN is dropped when max_syn_backlog - queue length < max_syn_backlog / 4: 8 - 7 < 2
        assertThat(requests()).isEqualTo(7);
        h.discardUnread();
        h.inject(from(50007, "S", PEER_ISS, 0).build());
        assertThat(h.unread()).isEmpty();
        assertThat(requests()).isEqualTo(7);
        assertThat(stat(Counter.TcpExtListenDrops)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtTCPReqQFullDrop)).as("the queue itself was not full").isZero();
    }

    @Test
    void a_full_accept_queue_drops_syns_and_acks_and_counts_listen_overflows() throws IOException {
        listen(cookieSettings(), 1);
        // two connections complete and nobody accepts them: the accept queue holds 2 > backlog 1
        for (int port : new int[] {50000, 50001}) {
            h.inject(from(port, "S", PEER_ISS, 0).build());
            long iss = u(h.expect(match().flags("S.").dstPort(port)).seq());
            h.inject(from(port, ".", PEER_ISS + 1, iss + 1).build());
        }
        h.inject(from(50002, "S", PEER_ISS, 0).build());
        assertThat(h.unread()).as("SYN dropped").isEmpty();
        assertThat(stat(Counter.TcpExtListenOverflows)).isEqualTo(1);
        assertThat(stat(Counter.TcpExtListenDrops)).isEqualTo(1);
        // one accepted: room for a request again, but its ACK finds the queue full once more
        assertThat(server.poll()).isNotNull();
        h.inject(from(50003, "S", PEER_ISS, 0).build());
        long iss = u(h.expect(match().flags("S.").dstPort(50003)).seq());
        h.inject(from(50004, "S", PEER_ISS, 0).build());
        long iss4 = u(h.expect(match().flags("S.").dstPort(50004)).seq());
        h.inject(from(50004, ".", PEER_ISS + 1, iss4 + 1).build()); // accept queue: 2 again
        h.inject(from(50003, ".", PEER_ISS + 1, iss + 1).build());
        assertThat(stat(Counter.TcpExtListenOverflows)).isEqualTo(2);
        assertThat(h.stack.connections().stream().filter(c -> c.remotePort() == 50003).findFirst().orElseThrow()
                .state()).as("the request stays").isEqualTo(TcpState.SYN_RECEIVED);
        // room again: the peer's next ACK completes it
        assertThat(server.poll()).isNotNull();
        h.inject(from(50003, ".", PEER_ISS + 1, iss + 1).build());
        assertThat(h.stack.connections().stream().filter(c -> c.remotePort() == 50003).findFirst().orElseThrow()
                .state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void the_backlog_is_capped_by_somaxconn() throws IOException {
        TcpSettings s = cookieSettings();
        s.somaxconn = 1;
        listen(s, 128);
        assertThat(h.stack.connections().get(0).sendQ()).as("ss shows the capped backlog").isEqualTo(1);
        for (int i = 0; i < 3; i++) {
            h.inject(from(50000 + i, "S", PEER_ISS, 0).build());
        }
        assertThat(requests()).isEqualTo(2);
        assertThat(stat(Counter.TcpExtSyncookiesSent)).isEqualTo(1);
    }

    @Test
    void server_socket_still_accepts_a_plain_handshake() throws IOException {
        listen(cookieSettings(), BACKLOG);
        TcpServerSocket s = server;
        h.inject(from(PEER_PORT, "S", PEER_ISS, 0).build());
        long iss = u(h.expect(match().flags("S.")).seq());
        h.inject(from(PEER_PORT, ".", PEER_ISS + 1, iss + 1).build());
        assertThat(s.poll()).isNotNull();
        assertThat(requests()).isZero();
        assertThat(stat(Counter.TcpExtSyncookiesSent)).isZero();
    }
}
