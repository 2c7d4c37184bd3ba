package io.tcpstack.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.CaptureLink;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PcapLinkTest {

    @Test
    void recordsBothDirectionsAsRawIpv4WithTimestamps() throws Exception {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        AtomicLong micros = new AtomicLong(1_700_000_000_123_456L);
        CaptureLink device = new CaptureLink(1, 1500);
        PcapLink link = new PcapLink(device, new PcapWriter(file, micros::get));
        link.start((queue, packet) -> { });

        device.inject(0, Unpooled.wrappedBuffer(new byte[] {0x45, 1, 2, 3}));
        micros.addAndGet(2_000_001);
        ByteBuf out = Unpooled.wrappedBuffer(new byte[] {0x45, 9, 8, 7, 6, 5});
        out.readerIndex(1);
        link.send(0, out);
        link.close();

        ByteBuffer pcap = ByteBuffer.wrap(file.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(pcap.getInt()).isEqualTo(0xa1b2c3d4);
        assertThat(pcap.getShort()).isEqualTo((short) 2);
        assertThat(pcap.getShort()).isEqualTo((short) 4);
        pcap.getInt();
        pcap.getInt();
        assertThat(pcap.getInt()).isEqualTo(65535);
        assertThat(pcap.getInt()).as("LINKTYPE_RAW").isEqualTo(101);

        assertThat(pcap.getInt()).isEqualTo(1_700_000_000);
        assertThat(pcap.getInt()).isEqualTo(123_456);
        assertThat(pcap.getInt()).isEqualTo(4);
        assertThat(pcap.getInt()).isEqualTo(4);
        byte[] in = new byte[4];
        pcap.get(in);
        assertThat(in).containsExactly(0x45, 1, 2, 3);

        assertThat(pcap.getInt()).isEqualTo(1_700_000_002);
        assertThat(pcap.getInt()).isEqualTo(123_457);
        assertThat(pcap.getInt()).as("only the readable bytes").isEqualTo(5);
        assertThat(pcap.getInt()).isEqualTo(5);
        byte[] sent = new byte[5];
        pcap.get(sent);
        assertThat(sent).containsExactly(9, 8, 7, 6, 5);
        assertThat(pcap.hasRemaining()).isFalse();
        assertThat(device.poll().packet()).containsExactly(9, 8, 7, 6, 5);
    }

    @Test
    void recordingsStartAndStopWhilePacketsFlowEachWithItsOwnPackets() throws Exception {
        AtomicLong micros = new AtomicLong(1_700_000_000_000_000L);
        CaptureLink device = new CaptureLink(1, 1500);
        PcapLink link = new PcapLink(device);
        link.start((queue, packet) -> { });
        byte[] packet = {0x45, 1, 2, 3};

        device.inject(0, Unpooled.wrappedBuffer(packet)); // before any recording: nowhere
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        link.start("first", new PcapWriter(first, micros::get));
        device.inject(0, Unpooled.wrappedBuffer(packet));
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        link.start("second", new PcapWriter(second, micros::get));
        link.send(0, Unpooled.wrappedBuffer(packet));
        assertThat(link.recordings()).containsExactly(Map.entry("first", 2L), Map.entry("second", 1L));

        assertThatThrownBy(() -> link.start("second", new PcapWriter(new ByteArrayOutputStream(), micros::get)))
                .isInstanceOf(IllegalStateException.class).hasMessage("second is being recorded already");
        assertThat(link.stop("first")).isEqualTo(2);
        link.send(0, Unpooled.wrappedBuffer(packet));
        assertThat(link.stop("first")).as("not recording any more").isEqualTo(-1);
        link.close();

        assertThat(first.size()).as("header + 2 records of 16 + 4 bytes").isEqualTo(24 + 2 * 20);
        assertThat(second.size()).as("header + 2 records").isEqualTo(24 + 2 * 20);
    }
}
