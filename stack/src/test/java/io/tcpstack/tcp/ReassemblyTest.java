package io.tcpstack.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** Out-of-order data stored in place in the receive ring, and the ranges that track it. */
class ReassemblyTest {
    private static final int ISN = 0x7fff_ff00; // the ranges cross the sign bit: sequence arithmetic

    /** Byte i of the stream. */
    private static byte at(int i) {
        return (byte) (i * 31 + (i >>> 9));
    }

    private static ByteBuf stream(int from, int length) {
        ByteBuf b = Unpooled.buffer(length);
        for (int i = 0; i < length; i++) {
            b.writeByte(at(from + i));
        }
        return b;
    }

    private final ByteRing ring = new ByteRing(1 << 20);
    private final Reassembly reassembly = new Reassembly();
    private int rcvNxt = ISN;
    private int read;

    private boolean ofo(int from, int length) {
        return reassembly.add(ISN + from, length, rcvNxt, ring, stream(from, length), 0, 8);
    }

    private void inOrder(int length) {
        int from = rcvNxt - ISN;
        rcvNxt += ring.write(stream(from, length), 0, length);
        rcvNxt = reassembly.drainInto(rcvNxt, ring);
    }

    private void readAllAndCheck() {
        byte[] out = new byte[ring.size()];
        ring.read(out, 0, out.length);
        for (int i = 0; i < out.length; i++) {
            assertThat(out[i]).as("stream byte %d", read + i).isEqualTo(at(read + i));
        }
        read += out.length;
    }

    @Test
    void holesFilledInAnyOrderGiveTheStreamBack() {
        assertThat(ofo(3000, 1000)).isTrue();
        assertThat(ofo(1000, 1000)).isTrue();
        assertThat(reassembly.blockCount()).isEqualTo(2);
        assertThat(ofo(2000, 1000)).isTrue(); // bridges the two ranges
        assertThat(reassembly.blockCount()).isEqualTo(1);
        assertThat(reassembly.bytes()).isEqualTo(3000);
        inOrder(1000);
        assertThat(rcvNxt - ISN).isEqualTo(4000);
        assertThat(reassembly.blockCount()).isZero();
        readAllAndCheck();
        assertThat(read).isEqualTo(4000);
    }

    @Test
    void dataFarAheadSurvivesTheRingGrowingAndWrapping() {
        inOrder(10_000);
        readAllAndCheck(); // the head moves on: later positions wrap around the 16 KiB array
        assertThat(ofo(200_000, 1460)).isTrue(); // past the array: it grows, keeping what is ahead
        assertThat(ofo(12_000, 5000)).isTrue();
        while (rcvNxt - ISN < 200_000) {
            inOrder(Math.min(1460, 200_000 - (rcvNxt - ISN)));
        }
        assertThat(rcvNxt - ISN).isEqualTo(201_460);
        readAllAndCheck();
        assertThat(read).isEqualTo(201_460);
    }

    @Test
    void aSegmentOverlappingHeldRangesIsMergedWithoutLosingBytes() {
        assertThat(ofo(1000, 100)).isTrue();
        assertThat(ofo(1500, 100)).isTrue();
        assertThat(ofo(900, 800)).isTrue(); // covers both and more
        assertThat(reassembly.blockCount()).isEqualTo(1);
        assertThat(reassembly.bytes()).isEqualTo(800);
        inOrder(1200); // in-order data reaching into the held range
        assertThat(rcvNxt - ISN).isEqualTo(1700);
        readAllAndCheck();
    }

    @Test
    void atMostMaxBlocksHoles() {
        for (int i = 0; i < 8; i++) {
            assertThat(ofo(1000 + i * 200, 100)).isTrue();
        }
        assertThat(ofo(5000, 100)).as("a ninth range").isFalse();
        assertThat(ofo(1100, 50)).as("extends a held range").isTrue();
        assertThat(reassembly.blockCount()).isEqualTo(8);
    }

    @Test
    void sackBlocksNameTheLatestRangeFirst() {
        ofo(1000, 100);
        ofo(3000, 100);
        ofo(2000, 100);
        int[] out = new int[8];
        assertThat(reassembly.sackBlocks(out, 3)).isEqualTo(3);
        assertThat(out[0] - ISN).isEqualTo(2000);
        assertThat(out[2] - ISN).isEqualTo(1000);
        assertThat(out[4] - ISN).isEqualTo(3000);
        assertThat(out[5] - ISN).isEqualTo(3100);
    }

    @Test
    void outOfOrderDataMustFitTheFreeSpace() {
        ByteRing small = new ByteRing(4096);
        assertThatThrownBy(() -> small.writeAt(4000, stream(0, 200), 0, 200)).isInstanceOf(IllegalArgumentException.class);
    }
}
