package io.tcpstack.tcp;

/**
 * The sender's scoreboard of RFC 6675 (Linux keeps the same facts as TCPCB_SACKED_ACKED marks on
 * its retransmit queue): the ranges above snd.una the peer has selectively acknowledged, kept
 * sorted and merged, and HighRxt, the end of what loss recovery has retransmitted. A hole (bytes
 * not SACKed) below enough SACKed data is lost (IsLost); pipe is the sender's estimate of the
 * bytes still in the network (SetPipe), which loss recovery compares with cwnd instead of the
 * flight size. Not thread-safe: under the Tcb lock. Allocates nothing after construction.
 */
final class SackScoreboard {
    /** Ranges kept; a peer reports at most 4 per ACK, and more holes than this are merged away. */
    static final int MAX_RANGES = 16;
    /** RFC 6675 DupThresh: this many segments SACKed above a hole make it lost. */
    static final int DUP_THRESH = 3;

    private final int[] start = new int[MAX_RANGES];
    private final int[] end = new int[MAX_RANGES];
    private int count;
    /** RFC 6675 HighRxt: retransmissions of this recovery reached up to here. */
    int highRxt;
    /** What {@link #nextLost} found: the first lost byte and the end of its hole. */
    int lostStart;
    int lostEnd;

    boolean isEmpty() {
        return count == 0;
    }

    int rangeCount() {
        return count;
    }

    void clear() {
        count = 0;
    }

    /**
     * Records that [{@code from}, {@code to}) was SACKed, clipped to (snd.una, snd.max]; blocks
     * at or below snd.una (D-SACK, RFC 2883) and beyond what was sent are ignored. With no room
     * left a range that merges with none is ignored: SACK information only lets the sender skip
     * data, so less of it is never wrong (the data is sent again).
     */
    void add(int from, int to, int una, int max) {
        if (SeqNum.lt(from, una)) {
            from = una;
        }
        if (SeqNum.gt(to, max)) {
            to = max;
        }
        if (!SeqNum.lt(from, to)) {
            return;
        }
        int i = 0;
        while (i < count && SeqNum.lt(end[i], from)) {
            i++; // ranges wholly before the new one
        }
        int j = i;
        while (j < count && SeqNum.le(start[j], to)) {
            from = SeqNum.min(from, start[j]); // overlapping or adjacent: merge
            to = SeqNum.max(to, end[j]);
            j++;
        }
        int merged = j - i;
        if (merged == 0 && count == MAX_RANGES) {
            return;
        }
        // replace ranges i..j-1 by one
        int shift = 1 - merged;
        System.arraycopy(start, j, start, j + shift, count - j);
        System.arraycopy(end, j, end, j + shift, count - j);
        start[i] = from;
        end[i] = to;
        count += shift;
    }

    /** snd.una moved to {@code una}: forgets what it passed. */
    void advance(int una) {
        int drop = 0;
        while (drop < count && SeqNum.le(end[drop], una)) {
            drop++;
        }
        System.arraycopy(start, drop, start, 0, count - drop);
        System.arraycopy(end, drop, end, 0, count - drop);
        count -= drop;
        if (count > 0 && SeqNum.lt(start[0], una)) {
            start[0] = una;
        }
        if (SeqNum.lt(highRxt, una)) {
            highRxt = una;
        }
    }

    /** Bytes SACKed in all. */
    int sackedBytes() {
        int bytes = 0;
        for (int i = 0; i < count; i++) {
            bytes += end[i] - start[i];
        }
        return bytes;
    }

    /** Bytes SACKed at or above {@code seq}. */
    private int sackedAbove(int seq) {
        int bytes = 0;
        for (int i = count - 1; i >= 0 && SeqNum.gt(end[i], seq); i--) {
            bytes += end[i] - SeqNum.max(start[i], seq);
        }
        return bytes;
    }

    /** RFC 6675 IsLost: more than (DupThresh - 1) segments' worth SACKed above {@code seq}. */
    boolean isLost(int seq, int mss) {
        return lost(sackedAbove(seq), mss);
    }

    private static boolean lost(int sackedAbove, int mss) {
        return sackedAbove > (DUP_THRESH - 1) * mss;
    }

    /**
     * RFC 6675 SetPipe, in bytes, for the data between {@code una} and {@code max}: every byte
     * not SACKed counts once unless it is lost, and once more if it was retransmitted (below
     * HighRxt). One walk over the holes: what is SACKed above a hole is all the ranges after it.
     */
    int pipe(int una, int max, int mss) {
        int pipe = 0;
        int above = sackedBytes();
        int holeStart = una;
        for (int i = 0; i <= count; i++) {
            int holeEnd = i < count ? start[i] : max;
            if (SeqNum.lt(holeStart, holeEnd)) {
                if (!lost(above, mss)) {
                    pipe += holeEnd - holeStart;
                }
                if (SeqNum.gt(highRxt, holeStart)) {
                    pipe += SeqNum.min(highRxt, holeEnd) - holeStart;
                }
            }
            if (i < count) {
                above -= end[i] - start[i];
                holeStart = end[i];
            }
        }
        return pipe;
    }

    /**
     * RFC 6675 NextSeg rule 1: the first lost bytes not yet retransmitted (at or above HighRxt
     * and {@code una}), into {@link #lostStart} and {@link #lostEnd}. False when there are none.
     */
    boolean nextLost(int una, int mss) {
        int from = SeqNum.max(una, highRxt);
        int above = sackedBytes();
        int holeStart = una;
        for (int i = 0; i < count; i++) {
            int lo = SeqNum.max(holeStart, from);
            if (SeqNum.lt(lo, start[i]) && lost(above, mss)) {
                lostStart = lo;
                lostEnd = start[i];
                return true;
            }
            above -= end[i] - start[i];
            holeStart = end[i];
        }
        return false;
    }
}
