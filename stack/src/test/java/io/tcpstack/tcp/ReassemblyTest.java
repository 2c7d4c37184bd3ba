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

    /** Stores an out-of-order segment; true if it duplicated held data and set a D-SACK. */
    private boolean ofo(int from, int length) {
        return reassembly.add(ISN + from, length, rcvNxt, ring, stream(from, length), 0, true);
    }

    /** The SACK option the next ACK would carry, relative to the ISN: {left, right, ...}. */
    private int[] sackOption() {
        int[] out = new int[8];
        int n = reassembly.sackBlocks(out, 4);
        int[] relative = new int[2 * n];
        for (int i = 0; i < 2 * n; i++) {
            relative[i] = out[i] - ISN;
        }
        return relative;
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

    private void ofoAndExpectNoDsack(int from, int length) {
        assertThat(ofo(from, length)).as("no duplicate in [%d, %d)", from, from + length).isFalse();
    }

    @Test
    void holesFilledInAnyOrderGiveTheStreamBack() {
        ofoAndExpectNoDsack(3000, 1000);
        ofoAndExpectNoDsack(1000, 1000);
        assertThat(reassembly.blockCount()).isEqualTo(2);
        ofoAndExpectNoDsack(2000, 1000); // bridges the two ranges
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
        ofoAndExpectNoDsack(200_000, 1460); // past the array: it grows, keeping what is ahead
        ofoAndExpectNoDsack(12_000, 5000);
        while (rcvNxt - ISN < 200_000) {
            inOrder(Math.min(1460, 200_000 - (rcvNxt - ISN)));
        }
        assertThat(rcvNxt - ISN).isEqualTo(201_460);
        readAllAndCheck();
        assertThat(read).isEqualTo(201_460);
    }

    @Test
    void aSegmentOverlappingHeldRangesIsMergedWithoutLosingBytes() {
        ofoAndExpectNoDsack(1000, 100);
        ofoAndExpectNoDsack(1500, 100);
        assertThat(ofo(900, 800)).as("covers both held ranges: D-SACK").isTrue();
        assertThat(reassembly.blockCount()).isEqualTo(1);
        assertThat(reassembly.bytes()).isEqualTo(800);
        inOrder(1200); // in-order data reaching into the held range
        assertThat(rcvNxt - ISN).isEqualTo(1700);
        readAllAndCheck();
    }

    @Test
    void everyHoleIsHeldAndTheChargeCountsEachRange() {
        for (int i = 0; i < 100; i++) {
            ofoAndExpectNoDsack(1000 + i * 200, 100);
        }
        assertThat(reassembly.blockCount()).isEqualTo(100);
        assertThat(reassembly.charge()).isEqualTo(100 * 100 + 100 * Reassembly.RANGE_OVERHEAD);
        assertThat(reassembly.pruneAbove(50 * (100 + Reassembly.RANGE_OVERHEAD))).as("the highest go first").isEqualTo(50);
        assertThat(reassembly.highestEnd() - ISN).isEqualTo(1000 + 49 * 200 + 100);
        assertThat(sackOption()).as("pruning forgets what was SACKed (tcp_sack_reset)").isEmpty();
    }

    @Test
    void sackBlocksAreMostRecentFirstThenInTheOrderTheyWereLastExtended() {
        ofo(1000, 100);
        ofo(3000, 100);
        ofo(2000, 100);
        assertThat(sackOption()).containsExactly(2000, 2100, 3000, 3100, 1000, 1100);
        ofo(3100, 100); // extends the second block: it moves to the front (tcp_sack_new_ofo_skb)
        assertThat(sackOption()).containsExactly(3000, 3200, 2000, 2100, 1000, 1100);
        ofo(2100, 900); // bridges [2000, 2100) and [3000, 3200): the blocks coalesce
        assertThat(sackOption()).containsExactly(2000, 3200, 1000, 1100);
    }

    @Test
    void aFifthBlockPushesTheOldestOut() {
        for (int i = 0; i < 5; i++) {
            ofo(1000 + i * 1000, 100);
        }
        assertThat(sackOption()).containsExactly(5000, 5100, 4000, 4100, 3000, 3100, 2000, 2100);
        assertThat(reassembly.blockCount()).as("the data of the forgotten block is still held").isEqualTo(5);
    }

    @Test
    void aDuplicateOfHeldDataIsReportedOnceByADsackAheadOfTheSackBlocks() {
        ofo(2000, 1000);
        assertThat(ofo(2500, 1000)).as("[2500, 3000) was held").isTrue();
        assertThat(sackOption()).containsExactly(2500, 3000, 2000, 3500);
        assertThat(sackOption()).as("the D-SACK goes in one ACK only").containsExactly(2000, 3500);
    }

    @Test
    void inOrderDataOverlappingHeldDataIsReportedAsDuplicateAndTheBlocksRcvNxtPassedGo() {
        ofo(1000, 500);
        ofo(3000, 500);
        assertThat(reassembly.overlapInOrder(ISN, ISN + 1200)).isTrue();
        inOrder(1200);
        assertThat(rcvNxt - ISN).isEqualTo(1500);
        assertThat(sackOption()).containsExactly(1000, 1200, 3000, 3500);
        readAllAndCheck();
    }

    @Test
    void outOfOrderDataMustFitTheFreeSpace() {
        ByteRing small = new ByteRing(4096);
        assertThatThrownBy(() -> small.writeAt(4000, stream(0, 200), 0, 200)).isInstanceOf(IllegalArgumentException.class);
    }
}
