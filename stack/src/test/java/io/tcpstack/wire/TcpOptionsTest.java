package io.tcpstack.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class TcpOptionsTest {

    private static TcpOptions parse(boolean syn, int... bytes) {
        ByteBuf b = Unpooled.buffer(bytes.length);
        for (int x : bytes) {
            b.writeByte(x);
        }
        return new TcpOptions().parse(b, 0, bytes.length, syn);
    }

    @Test
    void linux_syn_layout_is_20_bytes_mss_sackperm_ts_nop_ws() {
        ByteBuf b = Unpooled.buffer(20);
        int n = TcpOptions.writeSyn(b, 0, 1460, true, true, 0x01020304, 0, 7);
        assertThat(n).isEqualTo(20);
        byte[] bytes = new byte[20];
        b.getBytes(0, bytes);
        assertThat(bytes).containsExactly(2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7);
        TcpOptions o = new TcpOptions().parse(b, 0, 20, true);
        assertThat(o.mss).isEqualTo(1460);
        assertThat(o.sackPermitted).isTrue();
        assertThat(o.hasTimestamp).isTrue();
        assertThat(o.tsVal).isEqualTo(0x01020304);
        assertThat(o.wscale).isEqualTo(7);
    }

    @Test
    void zero_length_option_stops_parsing_keeping_what_came_before() {
        TcpOptions o = parse(true, 2, 4, 0x05, 0xb4, 3, 0, 7, 0);
        assertThat(o.mss).isEqualTo(1460);
        assertThat(o.wscale).isEqualTo(-1);
    }

    @Test
    void length_one_option_stops_parsing() {
        TcpOptions o = parse(true, 1, 8, 1, 0, 0, 0, 0, 0);
        assertThat(o.hasTimestamp).isFalse();
    }

    @Test
    void option_overrunning_the_header_stops_parsing() {
        TcpOptions o = parse(false, 1, 1, 8, 10, 0, 0, 0, 1);
        assertThat(o.hasTimestamp).isFalse();
    }

    @Test
    void syn_only_options_are_ignored_without_syn() {
        TcpOptions o = parse(false, 2, 4, 0x05, 0xb4, 1, 3, 3, 7);
        assertThat(o.mss).isEqualTo(-1);
        assertThat(o.wscale).isEqualTo(-1);
    }

    @Test
    void window_scale_above_14_is_clamped() {
        assertThat(parse(true, 1, 3, 3, 20).wscale).isEqualTo(14);
    }

    @Test
    void sack_blocks_are_read() {
        TcpOptions o = parse(false, 1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40);
        assertThat(o.sackBlockCount).isEqualTo(2);
        assertThat(o.sackBlocks[0]).isEqualTo(10);
        assertThat(o.sackBlocks[3]).isEqualTo(40);
    }

    @Test
    void unknown_options_are_skipped() {
        TcpOptions o = parse(true, 30, 4, 9, 9, 2, 4, 0x05, 0xb4);
        assertThat(o.mss).isEqualTo(1460);
    }
}
