package io.tcpstack.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.Arrays;

/**
 * Fuzz test of the TCP header view and the option parser: any bytes parse without an exception
 * into values within their ranges, and a parsed segment survives emit and parse unchanged.
 */
class TcpHeaderFuzzTest {
    private static final int SRC = Ipv4Address.parse("198.18.0.1");
    private static final int DST = Ipv4Address.parse("198.18.0.2");

    @FuzzTest(maxDuration = "30s")
    void tcpHeaderAndOptions(byte[] input) {
        ByteBuf buf = Unpooled.wrappedBuffer(input);
        // the option parser alone, over every byte, as a SYN's options and as another segment's
        for (boolean syn : new boolean[] {true, false}) {
            TcpOptions o = new TcpOptions().parse(buf, 0, input.length, syn);
            assertThat(o.mss).isBetween(-1, 65535);
            assertThat(o.wscale).isBetween(-1, TcpOptions.MAX_WSCALE);
            assertThat(o.sackBlockCount).isBetween(0, syn ? 0 : TcpOptions.MAX_SACK_BLOCKS);
            if (!syn) {
                assertThat(o.mss).isEqualTo(-1);
                assertThat(o.sackPermitted).isFalse();
            }
        }
        if (input.length < TcpView.MIN_HEADER_LENGTH) {
            return;
        }
        TcpView tcp = new TcpView().wrap(buf, 0, input.length);
        int dataOffset = tcp.dataOffset();
        if (dataOffset < TcpView.MIN_HEADER_LENGTH || dataOffset > input.length) {
            return; // the stack drops these (TCP_DATA_OFFSET) before reading further
        }
        assertThat(tcp.optionsLength()).isEqualTo(dataOffset - TcpView.MIN_HEADER_LENGTH);
        assertThat(tcp.payloadLength()).isEqualTo(input.length - dataOffset);

        // the value type: parse, emit, parse again
        byte[] packet = new byte[Ipv4View.MIN_HEADER_LENGTH + input.length];
        ByteBuf ip = Unpooled.wrappedBuffer(packet);
        Ipv4View.writeHeader(ip, 0, packet.length, 0, true, 64, IpProtocol.TCP, SRC, DST);
        ip.setBytes(Ipv4View.MIN_HEADER_LENGTH, input);
        TcpSegment first = TcpSegment.parse(ip);
        ByteBuf emitted = first.emit(UnpooledByteBufAllocator.DEFAULT);
        try {
            Ipv4View out = new Ipv4View().wrap(emitted, 0);
            assertThat(new TcpView().wrap(emitted, out.payloadOffset(), out.payloadLength()).checksumValid(SRC, DST))
                    .isTrue();
            TcpSegment second = TcpSegment.parse(emitted);
            assertThat(second.toString()).isEqualTo(first.toString());
            assertThat(second.payload()).isEqualTo(first.payload());
            assertThat(Arrays.equals(second.options().sackBlocks(), first.options().sackBlocks())).isTrue();
        } finally {
            emitted.release();
        }
    }
}
