package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import io.tcpstack.api.types.TcpHandler;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.trace.Rule;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work deferred to the end of a receive burst, and the running of event handlers. A thread that
 * processes inbound segments in bursts (a link's reader, an inbound queue's worker) calls {@link
 * #defer()} once, and {@link #flush()} when its burst ends; every connection that got data or
 * acknowledgements in between then
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
 *
 * <p>A connection with a {@link TcpHandler} is posted to the thread that changed it, which runs
 * the handler once its locks are released: at the flush of its burst, or at the end of the timer
 * or application call ({@link #runPostedHandlers()}). So an event-driven application answers a request on
 * the thread that received it, with no hand-off to another thread (lwIP's raw API, a NAPI poll).
 */
public final class Wakeups {
    private static final Logger log = LoggerFactory.getLogger(Wakeups.class);
    private static final FastThreadLocal<Wakeups> CURRENT = new FastThreadLocal<>() {
        @Override
        protected Wakeups initialValue() {
            return new Wakeups();
        }
    };

    private Tcb[] pending = new Tcb[16];
    private int count;
    private boolean deferring;
    private Tcb[] posted = new Tcb[16];
    private int postedCount;
    private boolean runningHandlers;
    /** The connection whose handler this thread is running, or null. */
    private Tcb running;

    private Wakeups() {}

    /**
     * {@code input} with its bursts marked: the wake-ups of a burst's packets wait for its end
     * ({@link #defer()} at its start, {@link #flush()} at its end), on the thread that marks it.
     */
    public static PacketReceiver deferringBursts(PacketReceiver input) {
        return new PacketReceiver() {
            @Override
            public void receive(int queue, ByteBuf packet) {
                input.receive(queue, packet);
            }

            @Override
            public void startOfBurst(int queue) {
                defer();
            }

            @Override
            public void endOfBurst(int queue) {
                flush();
            }
        };
    }

    /** A burst starts (or goes on): this thread's segment processing defers wake-ups to {@link #flush()}. */
    public static void defer() {
        CURRENT.get().deferring = true;
    }

    /**
     * Wakes the applications of the connections that changed since the last flush on this thread,
     * runs the handlers that were posted (and those their calls post in turn), then sends the
     * ACKs the burst still owes: a handler's answer to a request carries its ACK (lwIP's tcp_recv
     * callback, where the reply piggybacks the ACK), where an ACK first would be one more packet
     * each way.
     */
    public static void flush() {
        Wakeups w = CURRENT.get();
        int done = 0;
        while (done < w.count || w.postedCount > 0) {
            int end = w.count;
            for (int i = done; i < end; i++) {
                Tcb tcb = w.pending[i];
                tcb.lock.lock();
                try {
                    tcb.wakePending = false; // from here another thread's change enlists it again
                    notify(tcb);
                } finally {
                    tcb.lock.unlock();
                }
            }
            w.runPosted();
            for (int i = done; i < end; i++) {
                w.sendDeferredAck(w.pending[i]);
                w.pending[i] = null;
            }
            done = end;
        }
        w.count = 0;
        w.deferring = false; // the burst is over: timers this thread runs next wake at once
    }

    private void sendDeferredAck(Tcb tcb) {
        tcb.lock.lock();
        try {
            if (tcb.ackDeferred) {
                tcb.ackDeferred = false;
                if (tcb.state != TcpState.CLOSED && tcb.rcvNxt != tcb.rcvWup) {
                    tcb.layer.trace().cause(tcb, Rule.BURST_ACK);
                    tcb.layer.output().sendAck(tcb); // unless one went out since
                }
            }
        } finally {
            tcb.lock.unlock();
        }
    }

    /**
     * After a timer or an application call released its locks: runs the handlers it posted, unless
     * this thread's burst flush or an outer run (a handler's own call) will.
     */
    public static void runPostedHandlers() {
        Wakeups w = CURRENT.get();
        if (!w.deferring && !w.runningHandlers && w.postedCount > 0) {
            w.runPosted();
        }
    }

    private void runPosted() {
        if (runningHandlers) {
            return;
        }
        runningHandlers = true;
        try {
            for (int i = 0; i < postedCount; i++) { // handlers may post more: they run in this loop
                Tcb tcb = posted[i];
                posted[i] = null;
                run(tcb);
            }
            postedCount = 0;
        } finally {
            runningHandlers = false;
        }
    }

    /**
     * Runs the handler of {@code tcb}, unless another thread is running it: then that thread runs
     * it once more when it is done (the count of runs asked for), so no change goes unseen and
     * one connection's handler never runs on two threads at once.
     */
    private void run(Tcb tcb) {
        tcb.lock.lock();
        try {
            tcb.handlerPosted = false; // changes from here on post it again
        } finally {
            tcb.lock.unlock();
        }
        if (tcb.handlerRuns.getAndIncrement() != 0) {
            return;
        }
        int runs = 1;
        do {
            TcpHandler handler = tcb.handler;
            if (handler != null) {
                running = tcb;
                try {
                    handler.onChange(tcb.connection);
                } catch (RuntimeException e) {
                    log.error("{}: handler failed; aborting the connection", tcb, e);
                    tcb.connection.abort();
                } finally {
                    running = null;
                    uncork(tcb);
                }
            }
            runs = tcb.handlerRuns.addAndGet(-runs);
        } while (runs != 0);
    }

    /**
     * Under the lock of {@code tcb}: sends what the application queued, or, when its own handler
     * queued it on this thread, when the handler returns. A handler run is one sendmsg with
     * MSG_MORE: an answer and the close after it leave as one segment with FIN (as Linux sends
     * them when the data is still queued at close: tcp_send_fin), not as data and then a bare FIN.
     */
    static void push(Tcb tcb) {
        if (CURRENT.get().running == tcb) {
            tcb.corked = true;
        } else {
            DataTransmit.push(tcb);
            tcb.layer.trace().vars(tcb, "after send");
        }
    }

    private static void uncork(Tcb tcb) {
        tcb.lock.lock();
        try {
            if (tcb.corked) {
                tcb.corked = false;
                DataTransmit.push(tcb);
            }
        } finally {
            tcb.lock.unlock();
        }
    }

    /** Under the lock of {@code tcb}: wakes its blocked callers now and posts its handler. */
    static void notify(Tcb tcb) {
        tcb.changed.signalAll();
        if (tcb.handler != null && !tcb.handlerPosted) {
            tcb.handlerPosted = true;
            CURRENT.get().post(tcb);
        }
    }

    /** Under the lock of {@code tcb}: wakes its application now, or at the flush if this thread defers. */
    static void wake(Tcb tcb) {
        Wakeups w = CURRENT.get();
        if (!w.deferring) {
            notify(tcb);
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

    private void post(Tcb tcb) {
        if (postedCount == posted.length) {
            posted = Arrays.copyOf(posted, postedCount * 2);
        }
        posted[postedCount++] = tcb;
    }
}
