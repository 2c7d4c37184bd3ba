package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.match;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.wire.TcpSegment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** RFC 5961 challenge ACKs, PAWS, reassembly, and bad input: dropped and counted, never thrown. */
class RobustnessScenarioTest extends ScenarioBase {

    private String readAll() throws Exception {
        byte[] buf = new byte[4096];
        int n = conn.read(buf, 0, buf.length, false, 0);
        return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    @Test
    void in_window_rst_not_at_rcv_nxt_gets_a_challenge_ack() throws IOException {
        establishedPassive();
        h.inject(peer("R", PEER_ISS + 100, 0).build());
        h.expect(match().flags(".").seq(iss + 1).ack(PEER_ISS + 1));
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(stat(Counter.TcpExtTCPChallengeACK)).isEqualTo(1);
        // rate limit: a second one within 500 ms is not answered
        h.inject(peer("R", PEER_ISS + 200, 0).build());
        assertThat(h.unread()).isEmpty();
        assertThat(stat(Counter.TcpExtTCPACKSkippedChallenge)).isEqualTo(1);
        // the exact RST still resets
        h.inject(peer("R", PEER_ISS + 1, 0).build());
        assertThat(conn.error()).isEqualTo(TcpError.CONNECTION_RESET);
    }

    @Test
    void out_of_window_rst_is_dropped_silently() throws IOException {
        establishedPassive();
        h.inject(peer("R", PEER_ISS + 10_000_000, 0).build());
        h.expectNothingFor(100);
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(h.stack.stats().get(DropReason.TCP_INVALID_SEQUENCE)).isEqualTo(1);
    }

    @Test
    void syn_in_established_gets_a_challenge_ack() throws IOException {
        establishedPassive();
        h.inject(peer("S", PEER_ISS + 5000, 0).build());
        h.expect(match().flags(".").seq(iss + 1).ack(PEER_ISS + 1));
        assertThat(conn.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(stat(Counter.TcpExtTCPSYNChallenge)).isEqualTo(1);
    }

    @Test
    void ack_too_old_gets_a_challenge_ack() throws Exception {
        establishedPassive();
        h.inject(peer(".", PEER_ISS + 1, iss - 1_000_000).payload("data").build());
        h.expect(match().flags(".").seq(iss + 1).ack(PEER_ISS + 1));
        assertThat(readAll()).isEmpty(); // the segment was dropped, data and all
    }

    @Test
    void paws_drops_an_old_timestamp_and_sends_a_dup_ack() throws Exception {
        TcpSettings s = new TcpSettings();
        s.sack = false;
        harness(s);
        listening();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, 7, false, 5000L, 0L)).build());
        TcpSegment synAck = h.expect(match().flags("S."));
        iss = u(synAck.seq());
        long ourTs = synAck.options().tsVal();
        h.inject(peer(".", PEER_ISS + 1, iss + 1).ts(5001, ourTs).build());
        conn = server.poll();
        h.inject(peer("P.", PEER_ISS + 1, iss + 1).ts(5002, ourTs).payload("new").build());
        h.expect(match().flags(".").ack(PEER_ISS + 4));
        h.inject(peer("P.", PEER_ISS + 4, iss + 1).ts(4000, ourTs).payload("old").build());
        h.expect(match().flags(".").ack(PEER_ISS + 4));
        assertThat(stat(Counter.TcpExtPAWSEstab)).isEqualTo(1);
        assertThat(readAll()).isEqualTo("new");
    }

    @Test
    void reordered_segments_are_reassembled_and_sacked() throws Exception {
        TcpSettings s = plainSettings();
        s.sack = true;
        harness(s);
        listening();
        h.inject(peer("S", PEER_ISS, 0).options(TcpSegment.Options.syn(1460, -1, true, null, null)).build());
        iss = u(h.expect(match().flags("S.")).seq());
        h.inject(peer(".", PEER_ISS + 1, iss + 1).build());
        conn = server.poll();
        h.inject(peer("P.", PEER_ISS + 6, iss + 1).payload("world").build());
        TcpSegment dup = h.expect(match().flags(".").ack(PEER_ISS + 1));
        assertThat(dup.options().sackBlocks()).containsExactly((int) (PEER_ISS + 6), (int) (PEER_ISS + 11));
        h.inject(peer("P.", PEER_ISS + 1, iss + 1).payload("hello").build());
        h.expect(match().flags(".").ack(PEER_ISS + 11)); // the hole is filled: ACK at once
        assertThat(readAll()).isEqualTo("helloworld");
        assertThat(stat(Counter.TcpExtTCPOFOQueue)).isEqualTo(1);
    }

    @Test
    void duplicate_data_is_acked_and_not_delivered_twice() throws Exception {
        establishedPassive();
        h.inject(peer("P.", PEER_ISS + 1, iss + 1).payload("abc").build());
        h.expect(match().flags(".").ack(PEER_ISS + 4));
        h.inject(peer("P.", PEER_ISS + 1, iss + 1).payload("abc").build());
        h.expect(match().flags(".").ack(PEER_ISS + 4));
        assertThat(readAll()).isEqualTo("abc");
    }

    @Test
    void bad_checksum_is_dropped_and_counted() throws IOException {
        establishedPassive();
        ByteBuf packet = peer("P.", PEER_ISS + 1, iss + 1).payload("abc").build().emit(UnpooledByteBufAllocator.DEFAULT);
        packet.setByte(packet.writerIndex() - 1, 'X');
        byte[] bytes = ByteBufUtil.getBytes(packet);
        packet.release();
        h.injectRaw(bytes);
        assertThat(h.stack.stats().get(DropReason.TCP_CSUM)).isEqualTo(1);
        assertThat(stat(Counter.TcpInCsumErrors)).isEqualTo(1);
        assertThat(h.unread()).isEmpty();
    }

    @Test
    void data_offset_below_five_is_dropped() {
        harness(plainSettings());
        h.injectRaw(withDataOffset(4));
        assertThat(h.stack.stats().get(DropReason.TCP_DATA_OFFSET)).isEqualTo(1);
    }

    @Test
    void data_offset_past_the_segment_is_dropped() {
        harness(plainSettings());
        h.injectRaw(withDataOffset(15));
        assertThat(h.stack.stats().get(DropReason.TCP_DATA_OFFSET)).isEqualTo(1);
        assertThat(stat(Counter.TcpInErrs)).isEqualTo(1);
    }

    @Test
    void truncated_tcp_header_is_dropped() {
        harness(plainSettings());
        byte[] p = withDataOffset(5);
        byte[] cut = java.util.Arrays.copyOf(p, 20 + 10);
        cut[2] = 0;
        cut[3] = 30;
        fixIpChecksum(cut);
        h.injectRaw(cut);
        assertThat(h.stack.stats().get(DropReason.TCP_TOO_SHORT)).isEqualTo(1);
    }

    /** A SYN to port 80 whose data offset field says {@code words}; checksums fixed so only the offset is bad. */
    private byte[] withDataOffset(int words) {
        ByteBuf packet = peer("S", PEER_ISS, 0).build().emit(UnpooledByteBufAllocator.DEFAULT);
        byte[] p = ByteBufUtil.getBytes(packet);
        packet.release();
        p[20 + 12] = (byte) (words << 4);
        fixTcpChecksum(p);
        return p;
    }

    static void fixIpChecksum(byte[] p) {
        ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(p);
        b.setShort(10, 0);
        b.setShort(10, io.tcpstack.wire.Checksum.compute(b, 0, 20));
    }

    static void fixTcpChecksum(byte[] p) {
        ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(p);
        b.setShort(36, 0);
        io.tcpstack.wire.TcpView.fillChecksum(b, 20, p.length - 20, b.getInt(12), b.getInt(16));
    }

    @Test
    void malformed_option_length_ends_parsing_and_the_segment_is_processed() throws IOException {
        listening();
        for (int badLength : new int[] {0, 1, 40}) {
            // MSS 1000 first, then a broken option: MSS is kept, the SYN is answered
            byte[] p = synWithOptions(PEER_ISS + badLength, new byte[] {2, 4, 0x03, (byte) 0xe8, 8, (byte) badLength, 0, 0});
            h.injectRaw(p);
            TcpSegment synAck = h.expect(match().flags("S.").ack(PEER_ISS + badLength + 1));
            assertThat(synAck.options().mss()).isEqualTo(1460);
        }
        assertThat(h.stack.connections()).filteredOn(c -> c.state() == TcpState.SYN_RECEIVED).hasSize(3)
                .allMatch(c -> c.details().sndMss() == 1000);
    }

    private byte[] synWithOptions(long seq, byte[] options) {
        TcpSegment base = Seg2.syn(seq);
        ByteBuf plain = base.emit(UnpooledByteBufAllocator.DEFAULT);
        byte[] p = new byte[plain.readableBytes() + options.length];
        plain.getBytes(0, p, 0, plain.readableBytes());
        plain.release();
        System.arraycopy(options, 0, p, 40, options.length);
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[20 + 12] = (byte) (((20 + options.length) / 4) << 4);
        p[40 + options.length - 1] = 0;
        fixIpChecksum(p);
        fixTcpChecksum(p);
        return p;
    }

    private static final class Seg2 {
        static TcpSegment syn(long seq) {
            return io.tcpstack.testing.Seg.from(PEER_PORT + (int) (seq % 1000), STACK_PORT).flags("S").seq(seq).build();
        }
    }
}
