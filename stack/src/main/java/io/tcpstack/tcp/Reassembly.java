package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * The out-of-order queue (RFC 9293 3.10.7.4, seventh; Linux tcp_data_queue_ofo) and the SACK
 * information the receiver reports about it (RFC 2018, D-SACK RFC 2883). The data itself goes
 * straight into the receive {@link ByteRing} at its place past the readable bytes; this class
 * keeps the sorted, merged sequence ranges held there, as many as the receive buffer holds: each
 * range is charged {@link #RANGE_OVERHEAD} bytes beyond its data (as Linux charges an skb's
 * truesize), so a peer cannot grow the bookkeeping past the buffer; {@link #pruneAbove} drops the
 * highest ranges when it must (tcp_prune_ofo_queue).
 *
 * <p>The SACK blocks are Linux's selective_acks: at most {@value #MAX_SACKS}, the block that got
 * the latest segment first, older ones after it in the order they were last extended, blocks that
 * became adjacent merged (tcp_sack_new_ofo_skb, tcp_sack_maybe_coalesce), and those rcv.nxt passed
 * removed (tcp_sack_remove). A D-SACK block (duplicate_sack) goes before them in the next ACK only.
 * Nothing is copied again when ranges merge or become in order, and nothing is allocated per
 * segment. Not thread-safe: used under the Tcb lock.
 */
final class Reassembly {
    /** Bytes an out-of-order range costs beyond its data (a share of an skb's overhead in Linux's truesize). */
    static final int RANGE_OVERHEAD = 256;
    /** TCP_NUM_SACKS: SACK blocks remembered. */
    static final int MAX_SACKS = 4;

    /** Ranges [starts[i], ends[i]) in sequence order, none touching another. */
    private int[] starts = new int[4];
    private int[] ends = new int[4];
    private int count;
    private int bytes;
    private boolean finReceived;
    private int finSeq;

    /** Linux selective_acks: the blocks to report, most recent first. */
    private final int[] sackStart = new int[MAX_SACKS];
    private final int[] sackEnd = new int[MAX_SACKS];
    private int numSacks;
    /** Linux duplicate_sack and rx_opt.dsack. */
    private boolean dsack;
    private int dsackStart;
    private int dsackEnd;

    int blockCount() {
        return count;
    }

    /** Data bytes held. */
    int bytes() {
        return bytes;
    }

    /** Bytes the queue is charged: its data and the per-range overhead. */
    int charge() {
        return bytes + count * RANGE_OVERHEAD;
    }

    /** End of the highest range (Linux ooo_last_skb's end_seq); meaningful when {@link #blockCount()} > 0. */
    int highestEnd() {
        return ends[count - 1];
    }

    /** Remembers an out-of-order FIN at {@code seq}. */
    void addFin(int seq) {
        finReceived = true;
        finSeq = seq;
    }

    /**
     * Stores [seq, seq+length), copied from {@code src}, in {@code ring} at its place after
     * {@code rcvNxt} (the caller keeps it within the ring's free space), merges the ranges it
     * touches and makes its block the first SACK block. What it duplicates of data already held
     * becomes the D-SACK (with {@code dsackOn}); returns true if it set one (TcpExtTCPDSACKOfoSent).
     */
    boolean add(int seq, int length, int rcvNxt, ByteRing ring, ByteBuf src, int index, boolean dsackOn) {
        int end = seq + length;
        int i = 0;
        while (i < count && SeqNum.lt(ends[i], seq)) {
            i++;
        }
        // every range from i to j - 1 touches or overlaps [seq, end): they merge into one
        int j = i;
        boolean dsackSet = false;
        while (j < count && SeqNum.le(starts[j], end)) {
            int from = SeqNum.max(starts[j], seq);
            int to = SeqNum.min(ends[j], end);
            if (dsackOn && SeqNum.lt(from, to)) {
                dsackSet |= duplicate(from, to);
            }
            bytes -= ends[j] - starts[j];
            j++;
        }
        ring.writeAt(seq - rcvNxt, src, index, length);
        if (j == i) {
            insertAt(i, seq, end);
        } else {
            starts[i] = SeqNum.min(starts[i], seq);
            ends[i] = SeqNum.max(ends[j - 1], end);
            removeRange(i + 1, j);
        }
        bytes += ends[i] - starts[i];
        newOfoSack(seq, end);
        return dsackSet;
    }

    /** The first duplicate of a segment sets the D-SACK; later ones extend it (Linux tcp_dsack_set / tcp_dsack_extend). */
    private boolean duplicate(int from, int to) {
        if (!dsack) {
            setDsack(from, to);
            return true;
        }
        extend(from, to);
        return false;
    }

    /** Linux tcp_dsack_set: the next ACK reports [from, to) as received twice. */
    void setDsack(int from, int to) {
        dsack = true;
        dsackStart = from;
        dsackEnd = to;
    }

    /** Linux tcp_dsack_extend: widens the pending D-SACK when the ranges touch, else sets it. */
    void extendDsack(int from, int to) {
        if (!dsack) {
            setDsack(from, to);
        } else {
            extend(from, to);
        }
    }

    private void extend(int from, int to) {
        if (!SeqNum.gt(from, dsackEnd) && !SeqNum.gt(dsackStart, to)) {
            dsackStart = SeqNum.min(dsackStart, from);
            dsackEnd = SeqNum.max(dsackEnd, to);
        }
    }

    /** A new data segment arrived: a D-SACK not yet sent is forgotten (Linux tcp_data_queue: rx_opt.dsack = 0). */
    void clearDsack() {
        dsack = false;
    }

    boolean hasDsack() {
        return dsack;
    }

    /**
     * Linux tcp_sack_new_ofo_skb: the block that [seq, end) extends moves to the front (merging
     * with any block it now touches), or a new block goes in front, the oldest dropped beyond
     * {@value #MAX_SACKS}.
     */
    private void newOfoSack(int seq, int end) {
        for (int b = 0; b < numSacks; b++) {
            if (!SeqNum.gt(seq, sackEnd[b]) && !SeqNum.gt(sackStart[b], end)) {
                int s = SeqNum.min(sackStart[b], seq);
                int e = SeqNum.max(sackEnd[b], end);
                System.arraycopy(sackStart, 0, sackStart, 1, b);
                System.arraycopy(sackEnd, 0, sackEnd, 1, b);
                sackStart[0] = s;
                sackEnd[0] = e;
                coalesce();
                return;
            }
        }
        int kept = Math.min(numSacks, MAX_SACKS - 1);
        System.arraycopy(sackStart, 0, sackStart, 1, kept);
        System.arraycopy(sackEnd, 0, sackEnd, 1, kept);
        sackStart[0] = seq;
        sackEnd[0] = end;
        numSacks = kept + 1;
    }

    /** Linux tcp_sack_maybe_coalesce: blocks the first one now touches merge into it. */
    private void coalesce() {
        int b = 1;
        while (b < numSacks) {
            if (!SeqNum.gt(sackStart[b], sackEnd[0]) && !SeqNum.gt(sackStart[0], sackEnd[b])) {
                sackStart[0] = SeqNum.min(sackStart[0], sackStart[b]);
                sackEnd[0] = SeqNum.max(sackEnd[0], sackEnd[b]);
                System.arraycopy(sackStart, b + 1, sackStart, b, numSacks - b - 1);
                System.arraycopy(sackEnd, b + 1, sackEnd, b, numSacks - b - 1);
                numSacks--;
            } else {
                b++;
            }
        }
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
     * In-order data now reaches {@code newRcvNxt}: what of it the queue already held (bytes from
     * {@code rcvNxt} on) was received twice: the D-SACK reports it (Linux tcp_ofo_queue). Returns
     * true if that set a new D-SACK.
     */
    boolean overlapInOrder(int rcvNxt, int newRcvNxt) {
        boolean set = false;
        for (int i = 0; i < count && SeqNum.lt(starts[i], newRcvNxt); i++) {
            int from = SeqNum.max(starts[i], rcvNxt);
            int to = SeqNum.min(ends[i], newRcvNxt);
            if (SeqNum.lt(from, to)) {
                set |= duplicate(from, to);
            }
        }
        return set;
    }

    /**
     * Makes what became in order at {@code rcvNxt} readable in {@code ring} (it is already there),
     * drops the SACK blocks rcv.nxt passed; returns the new rcv.nxt. A FIN that became in order
     * is reported by {@link #takeFin}.
     */
    int drainInto(int rcvNxt, ByteRing ring) {
        int drained = 0;
        while (drained < count && SeqNum.le(starts[drained], rcvNxt)) {
            if (SeqNum.gt(ends[drained], rcvNxt)) {
                ring.commit(ends[drained] - rcvNxt);
                rcvNxt = ends[drained];
            }
            bytes -= ends[drained] - starts[drained];
            drained++;
        }
        removeRange(0, drained);
        removeSacks(rcvNxt);
        return rcvNxt;
    }

    /** Linux tcp_sack_remove: blocks rcv.nxt has passed are gone; none at all once the queue is empty. */
    void removeSacks(int rcvNxt) {
        if (count == 0) {
            numSacks = 0;
            return;
        }
        int kept = 0;
        for (int b = 0; b < numSacks; b++) {
            if (SeqNum.lt(rcvNxt, sackStart[b])) {
                sackStart[kept] = sackStart[b];
                sackEnd[kept] = sackEnd[b];
                kept++;
            }
        }
        numSacks = kept;
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
     * Linux tcp_prune_ofo_queue: drops the highest ranges until the queue's charge is at most
     * {@code allowed} bytes (or it is empty), and forgets every SACK block (tcp_sack_reset): the
     * peer must not rely on what it was told. Returns the number of ranges dropped.
     */
    int pruneAbove(int allowed) {
        int dropped = 0;
        while (count > 0 && charge() > allowed) {
            dropHighest();
            dropped++;
        }
        return dropped;
    }

    /**
     * Linux tcp_prune_ofo_queue making room for a segment at {@code seq}: drops the highest range
     * if it starts at or above {@code seq} (it stops below the segment), and every SACK block.
     * False if there was none to drop.
     */
    boolean pruneHighest(int seq) {
        if (count == 0 || SeqNum.lt(starts[count - 1], seq)) {
            return false;
        }
        dropHighest();
        return true;
    }

    private void dropHighest() {
        count--;
        bytes -= ends[count] - starts[count];
        numSacks = 0;
        finReceived = false;
    }

    /** Bytes from {@code rcvNxt} to the end of the highest range held; 0 when none is. */
    int extent(int rcvNxt) {
        return count == 0 ? 0 : ends[count - 1] - rcvNxt;
    }

    /** Something to report in a SACK option: a D-SACK or SACK blocks. */
    boolean hasSackInfo() {
        return dsack || numSacks > 0;
    }

    /**
     * Fills {@code out} with up to {@code max} blocks (Linux tcp_options_write): the D-SACK
     * first, then the SACK blocks, most recent first; the D-SACK is sent once. Returns the count.
     */
    int sackBlocks(int[] out, int max) {
        int n = 0;
        if (dsack && max > 0) {
            out[0] = dsackStart;
            out[1] = dsackEnd;
            n = 1;
            dsack = false;
        }
        for (int b = 0; b < numSacks && n < max; b++, n++) {
            out[2 * n] = sackStart[b];
            out[2 * n + 1] = sackEnd[b];
        }
        return n;
    }

    void clear() {
        count = 0;
        bytes = 0;
        numSacks = 0;
        dsack = false;
        finReceived = false;
    }
}
