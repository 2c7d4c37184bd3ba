package io.tcpstack.tcp;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;

/**
 * Work deferred to the end of a receive burst. A thread that processes inbound segments in bursts
 * (a link's reader, a dispatcher worker) calls {@link #defer()} once, and {@link #flush()} when
 * its burst ends; every connection that got data or acknowledgements in between then
 *
 * <ul>
 *   <li>wakes its application once, instead of once per segment: in a bulk transfer on two cores
 *       a wake-up per segment preempted the reader for the application 50,000 times a second;
 *   <li>sends one ACK for all the in-order data of the burst, where the ACK-every-second-segment
 *       rule asked for one (as a Linux receiver ACKs a GRO super-packet once): each ACK is a TUN
 *       write and, in the sending kernel, an ACK to process (scripts/bench).
 * </ul>
 *
 * Other threads (timers, applications) are never deferred; nor are ACKs that must go at once
 * (duplicate ACKs for out-of-order data, window and FIN ACKs).
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
                if (tcb.ackDeferred) {
                    tcb.ackDeferred = false;
                    if (tcb.state != TcpState.CLOSED && tcb.rcvNxt != tcb.rcvWup) {
                        tcb.layer.output().sendAck(tcb); // unless one went out since
                    }
                }
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
        w.enlist(tcb);
    }

    /**
     * Under the lock of {@code tcb}: true if the ACK it owes for in-order data will go at the
     * flush (this thread defers), false if the caller must send it now.
     */
    static boolean deferAck(Tcb tcb) {
        Wakeups w = CURRENT.get();
        if (!w.deferring) {
            return false;
        }
        tcb.ackDeferred = true;
        w.enlist(tcb);
        return true;
    }

    private void enlist(Tcb tcb) {
        if (!tcb.wakePending) {
            tcb.wakePending = true;
            if (count == pending.length) {
                pending = Arrays.copyOf(pending, count * 2);
            }
            pending[count++] = tcb;
        }
    }
}
