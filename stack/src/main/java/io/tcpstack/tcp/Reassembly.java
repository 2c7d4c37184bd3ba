package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * Out-of-order segments waiting for the hole before them to fill (RFC 9293 3.10.7.4, seventh;
 * Linux tcp_data_queue_ofo). The data itself goes straight into the receive {@link ByteRing} at
 * its place past the readable bytes; this class keeps the sorted, merged sequence ranges held
 * there, at most {@code maxBlocks} of them (a bounded number of holes). Nothing is copied again
 * when ranges merge or become in order, and nothing is allocated per segment. Not thread-safe:
 * used under the Tcb lock.
 */
final class Reassembly {
    /** Ranges [starts[i], ends[i]) in sequence order, none touching another. */
    private int[] starts = new int[4];
    private int[] ends = new int[4];
    private int count;
    /** Start of the range that received the latest segment, for the first SACK block (RFC 2018 4). */
    private int latestSeq;
    private boolean finReceived;
    private int finSeq;

    boolean isEmpty() {
        return count == 0 && !finReceived;
    }

    int blockCount() {
        return count;
    }

    /** Bytes held. */
    int bytes() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            n += ends[i] - starts[i];
        }
        return n;
    }

    /** Remembers an out-of-order FIN at {@code seq}. */
    void addFin(int seq) {
        finReceived = true;
        finSeq = seq;
    }

    /**
     * Stores [seq, seq+length), copied from {@code src}, in {@code ring} at its place after
     * {@code rcvNxt} (the caller keeps it within the ring's free space). Returns false (nothing
     * stored) when it would need more than {@code maxBlocks} ranges.
     */
    boolean add(int seq, int length, int rcvNxt, ByteRing ring, ByteBuf src, int index, int maxBlocks) {
        int end = seq + length;
        int i = 0;
        while (i < count && SeqNum.lt(ends[i], seq)) {
            i++;
        }
        // every range from i to j - 1 touches or overlaps [seq, end): they merge into one
        int j = i;
        while (j < count && SeqNum.le(starts[j], end)) {
            j++;
        }
        if (j == i && count >= maxBlocks) {
            return false;
        }
        ring.writeAt(seq - rcvNxt, src, index, length);
        if (j == i) {
            insertAt(i, seq, end);
        } else {
            starts[i] = SeqNum.min(starts[i], seq);
            ends[i] = SeqNum.max(ends[j - 1], end);
            removeRange(i + 1, j);
        }
        latestSeq = starts[i];
        return true;
    }

    private void insertAt(int i, int start, int end) {
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
            ends = Arrays.copyOf(ends, count * 2);
        }
        System.arraycopy(starts, i, starts, i + 1, count - i);
        System.arraycopy(ends, i, ends, i + 1, count - i);
        starts[i] = start;
        ends[i] = end;
        count++;
    }

    /** Removes ranges [from, to). */
    private void removeRange(int from, int to) {
        System.arraycopy(starts, to, starts, from, count - to);
        System.arraycopy(ends, to, ends, from, count - to);
        count -= to - from;
    }

    /**
     * Makes what became in order at {@code rcvNxt} readable in {@code ring} (it is already there);
     * returns the new rcv.nxt. A FIN that became in order is reported by {@link #takeFin}.
     */
    int drainInto(int rcvNxt, ByteRing ring) {
        int drained = 0;
        while (drained < count && SeqNum.le(starts[drained], rcvNxt)) {
            if (SeqNum.gt(ends[drained], rcvNxt)) {
                ring.commit(ends[drained] - rcvNxt);
                rcvNxt = ends[drained];
            }
            drained++;
        }
        removeRange(0, drained);
        return rcvNxt;
    }

    /** True (and forgets it) if a held FIN is now exactly at {@code rcvNxt}. */
    boolean takeFin(int rcvNxt) {
        if (finReceived && finSeq == rcvNxt && count == 0) {
            finReceived = false;
            return true;
        }
        return false;
    }

    /**
     * Fills {@code out} with up to {@code max} SACK blocks (RFC 2018 4: the block holding the most
     * recent segment first, then the others in order); returns the count.
     */
    int sackBlocks(int[] out, int max) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (starts[i] == latestSeq) {
                out[0] = starts[i];
                out[1] = ends[i];
                n = 1;
            }
        }
        for (int i = 0; i < count && n < max; i++) {
            if (starts[i] != latestSeq || n == 0) {
                out[2 * n] = starts[i];
                out[2 * n + 1] = ends[i];
                n++;
            }
        }
        return n;
    }

    void clear() {
        count = 0;
        finReceived = false;
    }
}
