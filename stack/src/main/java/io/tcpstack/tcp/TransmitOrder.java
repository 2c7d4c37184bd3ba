package io.tcpstack.tcp;

import java.util.Arrays;

/**
 * The records of the {@link RetransmitQueue} still in flight (neither SACKed nor waiting for a
 * retransmission after being marked lost), in order of their last transmission: Linux's
 * tsorted_sent_queue, which RACK (RFC 8985) walks from the oldest. A doubly linked list threaded
 * through the queue's slots, so nothing is allocated per segment. Not thread-safe: under the Tcb
 * lock.
 */
final class TransmitOrder {
    /** No slot: the end of the list. */
    private static final int NONE = -1;

    /** Previous and next slot, NONE at the ends. */
    private int[] prev;
    private int[] next;
    private int head = NONE;
    private int tail = NONE;

    TransmitOrder(int capacity) {
        prev = filled(capacity);
        next = filled(capacity);
    }

    /** First slot in transmission order still in flight, or -1. */
    int oldest() {
        return head;
    }

    /** The slot sent after {@code slot} still in flight, or -1. */
    int after(int slot) {
        return next[slot];
    }

    void linkHead(int s) {
        next[s] = head;
        prev[s] = NONE;
        if (head == NONE) {
            tail = s;
        } else {
            prev[head] = s;
        }
        head = s;
    }

    void linkTail(int s) {
        prev[s] = tail;
        next[s] = NONE;
        if (tail == NONE) {
            head = s;
        } else {
            next[tail] = s;
        }
        tail = s;
    }

    /** Takes {@code s} out of the time order (a no-op when it is not in it). */
    void unlink(int s) {
        int p = prev[s];
        int n = next[s];
        if (p == NONE && head != s) {
            return;
        }
        if (p == NONE) {
            head = n;
        } else {
            next[p] = n;
        }
        if (n == NONE) {
            tail = p;
        } else {
            prev[n] = p;
        }
        prev[s] = NONE;
        next[s] = NONE;
    }

    /**
     * The queue's ring doubled, its {@code count} records moving from the slots starting at
     * {@code ringHead} to slots 0..count-1: the links follow them.
     */
    void grow(int ringHead, int count) {
        int capacity = prev.length;
        int mask = capacity - 1;
        int[] moved = new int[capacity];
        for (int i = 0; i < count; i++) {
            moved[(ringHead + i) & mask] = i;
        }
        int[] p2 = filled(capacity * 2);
        int[] n2 = filled(capacity * 2);
        for (int i = 0; i < count; i++) {
            int old = (ringHead + i) & mask;
            p2[i] = prev[old] == NONE ? NONE : moved[prev[old]];
            n2[i] = next[old] == NONE ? NONE : moved[next[old]];
        }
        head = head == NONE ? NONE : moved[head];
        tail = tail == NONE ? NONE : moved[tail];
        prev = p2;
        next = n2;
    }

    private static int[] filled(int length) {
        int[] a = new int[length];
        Arrays.fill(a, NONE);
        return a;
    }
}
