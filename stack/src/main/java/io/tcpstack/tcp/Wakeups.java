package io.tcpstack.tcp;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;

/**
 * Application wake-ups deferred to the end of a receive burst. A thread that processes inbound
 * segments in bursts (a link's reader, a dispatcher worker) calls {@link #defer()} once, and
 * {@link #flush()} when its burst ends: every connection that got data or acknowledgements in
 * between wakes its application once, instead of once per segment. In a bulk transfer on two
 * cores a wake-up per segment preempted the reader for the application 50,000 times a second
 * (scripts/bench). Other threads (timers, applications) are never deferred.
 */
public final class Wakeups {
    private static final FastThreadLocal<Wakeups> CURRENT = new FastThreadLocal<>() {
        @Override
        protected Wakeups initialValue() {
            return new Wakeups();
        }
    };

    private Tcb[] pending = new Tcb[16];
    private int count;
    private boolean deferring;

    private Wakeups() {}

    /** From now on, this thread's segment processing defers application wake-ups to {@link #flush()}. */
    public static void defer() {
        CURRENT.get().deferring = true;
    }

    /** Wakes the applications of the connections that changed since the last flush on this thread. */
    public static void flush() {
        Wakeups w = CURRENT.get();
        for (int i = 0; i < w.count; i++) {
            Tcb tcb = w.pending[i];
            w.pending[i] = null;
            tcb.lock.lock();
            try {
                tcb.wakePending = false;
                tcb.changed.signalAll();
            } finally {
                tcb.lock.unlock();
            }
        }
        w.count = 0;
    }

    /** Under the lock of {@code tcb}: wakes its application now, or at the flush if this thread defers. */
    static void wake(Tcb tcb) {
        Wakeups w = CURRENT.get();
        if (!w.deferring) {
            tcb.changed.signalAll();
            return;
        }
        if (!tcb.wakePending) {
            tcb.wakePending = true;
            if (w.count == w.pending.length) {
                w.pending = Arrays.copyOf(w.pending, w.count * 2);
            }
            w.pending[w.count++] = tcb;
        }
    }
}
