package io.tcpstack.tun;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import jnr.ffi.Runtime;
import jnr.posix.POSIXFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transmit side with both "TUN queues" on one pipe, so the order of every write shows: a
 * flow's packets, sent for two queues from a reader's burst (as affinity none sends a flow's
 * ACK-clocked data from both readers), still leave in the order they were sent; a packet sent
 * outside a burst leaves at once.
 */
class TunTransmitTest {
    private static final LibC LIBC = LibC.INSTANCE;
    private static final int PACKET = 40;

    private final int[] pipe = new int[2];
    private TunTransmit tx;

    @BeforeEach
    void open() {
        assertThat(POSIXFactory.getNativePOSIX().pipe(pipe)).isZero();
        tx = new TunTransmit("test", new int[] {pipe[1], pipe[1]}, 1500, false, LIBC, Runtime.getRuntime(LIBC));
    }

    @AfterEach
    void close() {
        tx.close();
        LIBC.close(pipe[0]);
        LIBC.close(pipe[1]);
    }

    /** An IPv4 TCP header pair of flow {@code port} with {@code seq} in the sequence number field. */
    private static ByteBuf segment(int port, int seq) {
        ByteBuf p = Unpooled.buffer(PACKET); // a heap buffer: the transmit path copies it
        p.writeByte(0x45).writeByte(0).writeShort(PACKET).writeInt(0).writeByte(64).writeByte(6).writeShort(0);
        p.writeInt(0xC6120002).writeInt(0xC6120001);
        p.writeShort(port).writeShort(80).writeInt(seq).writeInt(0).writeShort(0x5010).writeShort(0xffff).writeInt(0);
        return p;
    }

    private ByteBuf drain(int packets) {
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer(packets * PACKET);
        while (in.writerIndex() < packets * PACKET) {
            long n = LIBC.read(pipe[0], in.memoryAddress() + in.writerIndex(), packets * PACKET - in.writerIndex());
            assertThat(n).isPositive();
            in.writerIndex(in.writerIndex() + (int) n);
        }
        return in;
    }

    @Test
    void aFlowSentForBothQueuesInABurstLeavesInOrder() {
        for (int seq = 0; seq < 100; seq++) {
            tx.send(seq % 2, segment(40000, seq), true);
            tx.send(seq % 2, segment(40001, seq), true);
        }
        tx.flush();
        ByteBuf in = drain(200);
        int[] next = new int[2];
        for (int i = 0; i < 200; i++) {
            int port = in.getUnsignedShort(i * PACKET + 20);
            assertThat(in.getInt(i * PACKET + 24)).as("flow %d's next segment", port).isEqualTo(next[port - 40000]++);
        }
        in.release();
        assertThat(next).containsOnly(100);
        assertThat(tx.packets.sum()).isEqualTo(200);
        assertThat(tx.errors.sum()).isZero();
    }

    @Test
    void outsideABurstAPacketLeavesAtOnceWrittenByItsOwnThread() {
        tx.send(1, segment(40002, 7), false);
        ByteBuf in = drain(1);
        assertThat(in.getInt(24)).isEqualTo(7);
        in.release();
        assertThat(tx.packets.sum()).isEqualTo(1);
        assertThat(tx.batches.sum()).as("one write(2), no io_uring batch").isZero();
        assertThat(tx.mode()).isEqualTo("io_uring-batch");
    }

    @Test
    void outsideABurstAPacketGoesBehindWhatItsFlowHasWaiting() {
        tx.send(0, segment(40003, 0), true);
        tx.send(0, segment(40003, 1), true);
        tx.send(1, segment(40003, 2), false); // an application's or a timer's, while a reader's burst waits
        ByteBuf in = drain(3);
        for (int seq = 0; seq < 3; seq++) {
            assertThat(in.getInt(seq * PACKET + 24)).isEqualTo(seq);
        }
        in.release();
        assertThat(tx.batches.sum()).as("the three in one io_uring batch").isEqualTo(1);
    }
}
