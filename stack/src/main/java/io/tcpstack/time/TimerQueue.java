package io.tcpstack.time;

import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * The stack's timers: an indexed binary min-heap of intrusive {@link Timeout}s ordered by
 * (deadline, scheduling order). Schedule, cancel and expiry are O(log n) and allocate nothing;
 * the next deadline is O(1), which lets virtual-time loops jump straight to it. Thread-safe:
 * one lock guards the heap, and expiry callbacks run outside it.
 */
public final class TimerQueue {
    private Timeout[] heap = new Timeout[64];
    private int size;
    private long sequence;
    private LongConsumer onEarlierDeadline;

    /**
     * A hook run (outside the lock) with the new earliest deadline when a schedule makes the
     * earliest deadline earlier: wakes a timer thread that would sleep past it.
     */
    public synchronized void setOnEarlierDeadline(LongConsumer hook) {
        this.onEarlierDeadline = hook;
    }

    /** (Re)arms {@code t} for {@code deadlineNanos}; a past deadline fires at the next advance. */
    public void schedule(Timeout t, long deadlineNanos) {
        LongConsumer wake = null;
        synchronized (this) {
            long earliest = size == 0 ? Long.MAX_VALUE : heap[0].deadlineNanos;
            if (t.index >= 0) {
                removeAt(t.index);
            }
            t.deadlineNanos = deadlineNanos;
            t.sequence = sequence++;
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            heap[size] = t;
            t.index = size;
            size++;
            siftUp(t.index);
            // only an earlier deadline needs the thread awake: a retransmission timer restarted
            // later by every ACK must not cost a wake-up (a futex call and a context switch) each
            if (heap[0] == t && deadlineNanos < earliest) {
                wake = onEarlierDeadline;
            }
        }
        if (wake != null) {
            wake.accept(deadlineNanos);
        }
    }

    public synchronized void cancel(Timeout t) {
        if (t.index >= 0) {
            removeAt(t.index);
        }
    }

    public synchronized int size() {
        return size;
    }

    /** Earliest armed deadline, or Long.MAX_VALUE. */
    public synchronized long nextDeadlineNanos() {
        return size == 0 ? Long.MAX_VALUE : heap[0].deadlineNanos;
    }

    /**
     * Fires every timeout whose deadline is at or before {@code nowNanos}, in deadline order (ties
     * in scheduling order), including ones that callbacks schedule as already due. Returns how
     * many fired.
     */
    public int advance(long nowNanos) {
        int fired = 0;
        while (true) {
            Timeout t;
            synchronized (this) {
                if (size == 0 || heap[0].deadlineNanos > nowNanos) {
                    return fired;
                }
                t = heap[0];
                removeAt(0);
            }
            t.expire(nowNanos);
            fired++;
        }
    }

    private static boolean before(Timeout a, Timeout b) {
        return a.deadlineNanos != b.deadlineNanos ? a.deadlineNanos < b.deadlineNanos : a.sequence < b.sequence;
    }

    private void removeAt(int i) {
        Timeout removed = heap[i];
        size--;
        if (i != size) {
            Timeout last = heap[size];
            heap[i] = last;
            last.index = i;
            heap[size] = null;
            siftDown(i);
            siftUp(last.index);
        } else {
            heap[size] = null;
        }
        removed.index = -1;
        if (heap.length > 64 && size < heap.length / 4) {
            heap = Arrays.copyOf(heap, heap.length / 2);
        }
    }

    private void siftUp(int i) {
        Timeout t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Timeout p = heap[parent];
            if (!before(t, p)) {
                break;
            }
            heap[i] = p;
            p.index = i;
            i = parent;
        }
        heap[i] = t;
        t.index = i;
    }

    private void siftDown(int i) {
        Timeout t = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && before(heap[right], heap[child])) {
                child = right;
            }
            if (!before(heap[child], t)) {
                break;
            }
            heap[i] = heap[child];
            heap[i].index = i;
            i = child;
        }
        heap[i] = t;
        t.index = i;
    }
}
