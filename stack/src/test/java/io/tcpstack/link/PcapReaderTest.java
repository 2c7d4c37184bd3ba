package io.tcpstack.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.testing.Seg;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.trace.PcapLadder;
import io.tcpstack.trace.TextLadder;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.TcpSegment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Captures read back (pcap with raw IP or Ethernet, pcapng) and drawn with what the packets alone show. */
class PcapReaderTest {
    private static final int CLIENT = Ipv4Address.parse("198.18.1.1");
    private static final int SERVER = Ipv4Address.parse("198.18.1.2");

    @TempDir
    Path dir;

    private static byte[] packet(boolean fromClient, String flags, long seq, long ack, int len, int window) {
        TcpSegment s = new TcpSegment(fromClient ? CLIENT : SERVER, fromClient ? SERVER : CLIENT, fromClient ? 40000 : 80,
                fromClient ? 80 : 40000, (int) seq, (int) ack, Seg.flags(flags), window,
                flags.contains("S") ? TcpSegment.Options.syn(1460, 7, true, 1L, 0L) : TcpSegment.Options.NONE, new byte[len]);
        ByteBuf b = s.emit(UnpooledByteBufAllocator.DEFAULT);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        return bytes;
    }

    /** A handshake, data with a gap, a late and a repeated segment, duplicate ACKs, the close. */
    private static List<byte[]> conversation() {
        List<byte[]> p = new ArrayList<>();
        p.add(packet(true, "S", 1000, 0, 0, 64240));
        p.add(packet(false, "S.", 5000, 1001, 0, 65160));
        p.add(packet(true, ".", 1001, 5001, 0, 502));
        p.add(packet(true, "P.", 1001, 5001, 100, 502));
        p.add(packet(true, "P.", 1201, 5001, 100, 502)); // 1101..1201 not captured yet
        p.add(packet(false, ".", 5001, 1101, 0, 509));
        p.add(packet(false, ".", 5001, 1101, 0, 509)); // a duplicate ACK
        p.add(packet(true, "P.", 1101, 5001, 100, 502)); // the late one: never seen before
        p.add(packet(true, "P.", 1001, 5001, 100, 502)); // seen before: a retransmission
        p.add(packet(false, "F.", 5001, 1301, 0, 509));
        return p;
    }

    private Path pcap(List<byte[]> packets, boolean ethernet) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                .putInt(ethernet ? 1 : 101);
        out.write(h.array());
        int t = 0;
        for (byte[] p : packets) {
            byte[] frame = p;
            if (ethernet) {
                frame = new byte[14 + p.length];
                frame[12] = 0x08; // IPv4
                System.arraycopy(p, 0, frame, 14, p.length);
            }
            ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(1_700_000_000).putInt(t += 100).putInt(frame.length).putInt(frame.length);
            out.write(r.array());
            out.write(frame);
        }
        Path f = dir.resolve(ethernet ? "eth.pcap" : "raw.pcap");
        Files.write(f, out.toByteArray());
        return f;
    }

    /** The same packets as pcapng (big-endian section, nanosecond timestamps), Ethernet. */
    private Path pcapng(List<byte[]> packets) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer shb = ByteBuffer.allocate(28).order(ByteOrder.BIG_ENDIAN);
        shb.putInt(0x0a0d0d0a).putInt(28).putInt(0x1a2b3c4d).putShort((short) 1).putShort((short) 0).putLong(-1).putInt(28);
        out.write(shb.array());
        ByteBuffer idb = ByteBuffer.allocate(32).order(ByteOrder.BIG_ENDIAN);
        idb.putInt(1).putInt(32).putShort((short) 1).putShort((short) 0).putInt(65535)
                .putShort((short) 9).putShort((short) 1).put((byte) 9).put(new byte[3]).putInt(0).putInt(32);
        out.write(idb.array());
        long ts = 1_700_000_000_000_000_000L;
        for (byte[] p : packets) {
            int padded = (14 + p.length + 3) & ~3;
            ByteBuffer epb = ByteBuffer.allocate(32 + padded).order(ByteOrder.BIG_ENDIAN);
            epb.putInt(6).putInt(32 + padded).putInt(0).putInt((int) (ts >>> 32)).putInt((int) ts)
                    .putInt(14 + p.length).putInt(14 + p.length);
            byte[] frame = new byte[padded];
            frame[12] = 0x08;
            System.arraycopy(p, 0, frame, 14, p.length);
            epb.put(frame).putInt(32 + padded);
            out.write(epb.array());
            ts += 100_000;
        }
        Path f = dir.resolve("x.pcapng");
        Files.write(f, out.toByteArray());
        return f;
    }

    @Test
    void everyFormatGivesTheSamePackets() throws IOException {
        List<byte[]> c = conversation();
        for (Path f : List.of(pcap(c, false), pcap(c, true), pcapng(c))) {
            List<PcapReader.Packet> read = PcapReader.read(f);
            assertThat(read).as(f.toString()).hasSize(c.size());
            for (int i = 0; i < c.size(); i++) {
                assertThat(read.get(i).ip()).as(f + " packet " + i).isEqualTo(c.get(i));
            }
            assertThat(read.get(1).epochNanos() - read.get(0).epochNanos()).as(f.toString()).isEqualTo(100_000);
        }
    }

    @Test
    void numbersAreRelativeAndTheAnalysisSaysWhatThePacketsShow() throws IOException {
        LadderModel m = PcapLadder.build("t", PcapReader.read(pcap(conversation(), true)), List.of(), false);
        List<LadderModel.Row> rows = m.rows();
        assertThat(m.lanes()).extracting(LadderModel.Lane::label)
                .containsExactly("198.18.1.1 (client)", "198.18.1.2 (server)");
        assertThat(rows.get(0).label()).isEqualTo("S seq=0 win=64240 len=0");
        assertThat(rows.get(1).label()).isEqualTo("S. seq=0 ack=1 win=65160 len=0");
        assertThat(rows.get(3).label()).isEqualTo("P. seq=1 ack=1 win=64256 len=100"); // 502 << 7
        assertThat(rows.get(4).inferred).containsExactly("previous segment not captured");
        assertThat(rows.get(5).inferred).isEmpty();
        assertThat(rows.get(6).inferred).containsExactly("dup ACK #1");
        assertThat(rows.get(7).inferred).containsExactly("out of order");
        assertThat(rows.get(8).inferred).containsExactly("retransmission");
        String text = TextLadder.render(m, false);
        assertThat(text).contains("(retransmission)").contains("(dup ACK #1)");
        assertThat(text.lines()).allMatch(l -> l.length() <= TextLadder.WIDTH);
        assertThat(PcapLadder.build("t", PcapReader.read(pcap(conversation(), false)), List.of(":81"), false).rows())
                .isEmpty();
    }

    @Test
    void notACaptureSaysSo() throws IOException {
        Path f = dir.resolve("text");
        Files.writeString(f, "this is no capture at all, just words");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PcapReader.read(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a pcap or pcapng file");
    }
}
