package io.tcpstack.tcp;

import java.util.Arrays;

/**
 * Where our segments ended with PSH (their end sequence numbers), so that a retransmission has
 * PSH exactly where the original had it: Linux keeps PSH on the skb that ends a write and
 * retransmits skbs, so a resent first part of a burst has none and a resent whole write has it
 * (tcp_fragment keeps PSH on the second part). Bounded: the oldest marks go first.
 */
final class PshMarks {
    private static final int CAPACITY = 64;
    private final int[] ends = new int[CAPACITY];
    private int count;

    /** A new segment ending at {@code end} carried PSH. */
    void add(int end) {
        if (count > 0 && ends[count - 1] == end) {
            return;
        }
        if (count == CAPACITY) {
            System.arraycopy(ends, 1, ends, 0, CAPACITY - 1);
            count--;
        }
        ends[count++] = end;
    }

    /** Forgets the marks at or below {@code una} (acknowledged data). */
    void discardThrough(int una) {
        int keep = 0;
        while (keep < count && !SeqNum.gt(ends[keep], una)) {
            keep++;
        }
        if (keep > 0) {
            System.arraycopy(ends, keep, ends, 0, count - keep);
            count -= keep;
        }
    }

    boolean contains(int end) {
        for (int i = 0; i < count; i++) {
            if (ends[i] == end) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return Arrays.toString(Arrays.copyOf(ends, count));
    }
}
