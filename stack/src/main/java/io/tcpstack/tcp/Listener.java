package io.tcpstack.tcp;

import io.tcpstack.api.types.SynOptions;
import io.tcpstack.api.types.TcpHandler;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A listening port (RFC 9293 LISTEN) with Linux's two queues: the request queue, connections in
 * SYN-RECEIVED that came through it (request_sock; here a Tcb), and the accept queue of
 * established ones. {@code backlog} is Linux's sk_max_ack_backlog, the listen backlog capped by
 * somaxconn, and bounds each queue: a queue is full when it holds more than that
 * (inet_csk_reqsk_queue_is_full, sk_acceptq_is_full). A full request queue means SYN cookies
 * ({@link ListenInput}). A listener with an {@link TcpHandler.Acceptor} has no accept queue: each
 * connection goes to the acceptor as it completes its handshake, on the thread that completed it.
 */
public final class Listener {
    final TcpLayer layer;
    public final int port;
    final int backlog;
    /** Null: connections wait in the accept queue for {@link #accept}. */
    private final TcpHandler.Acceptor acceptor;
    /** What the SYN-ACKs of its connections offer. */
    final SynOptions synOptions;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition acceptable = lock.newCondition();
    private final ArrayDeque<Tcb> acceptQueue = new ArrayDeque<>();
    private final Set<Tcb> requests = new HashSet<>();
    /** Sizes of the two queues, read without the lock on every SYN. */
    private volatile int requestCount;
    private volatile int acceptCount;
    /** When this listener last sent a SYN cookie, ms (Linux: the listener's rx_opt.ts_recent_stamp). */
    private volatile long lastOverflowMs = Long.MIN_VALUE / 2;
    /** The SYN flood has been logged (Linux queue->synflood_warned: once per listener). */
    private final AtomicBoolean synFloodWarned = new AtomicBoolean();
    private volatile boolean closed;

    Listener(TcpLayer layer, int port, int backlog, TcpHandler.Acceptor acceptor, SynOptions synOptions) {
        this.layer = layer;
        this.port = port;
        this.backlog = backlog;
        this.acceptor = acceptor;
        this.synOptions = Objects.requireNonNull(synOptions);
    }

    /**
     * inet_csk_reqsk_queue_is_full: more than the backlog (so a backlog of 0 takes one, as the
     * accept queue does; Linux commit 3479c7549fb1, 2025, in every stable kernel since).
     */
    boolean requestQueueFull() {
        return requestCount > backlog;
    }

    int requestQueueLength() {
        return requestCount;
    }

    /** sk_acceptq_is_full. */
    boolean acceptQueueFull() {
        return acceptCount > backlog;
    }

    /** A new request (a Tcb in SYN-RECEIVED) joins the request queue; false if the listener closed. */
    boolean addRequest(Tcb tcb) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            requests.add(tcb);
            requestCount = requests.size();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** tcp_synq_overflow: a SYN cookie went out now (recorded at most once a second, as Linux). */
    void overflowed(long nowMs) {
        long last = lastOverflowMs;
        if (nowMs < last || nowMs - last > 1000) {
            lastOverflowMs = nowMs;
        }
    }

    /**
     * The opposite of tcp_synq_no_recent_overflow: a cookie went out within TCP_SYNCOOKIE_VALID (2 minutes);
     * only then is an ACK to the listener checked for one (the second before counts too, for a
     * racing {@link #overflowed}).
     */
    boolean recentlyOverflowed(long nowMs) {
        long last = lastOverflowMs;
        return nowMs >= last - 1000 && nowMs <= last + SynCookies.VALID_MS;
    }

    /** True the first time only: the SYN flood is logged once per listener. */
    boolean firstSynFlood() {
        return synFloodWarned.compareAndSet(false, true);
    }

    /**
     * Under the lock of {@code tcb}: a connection of this listener finished its handshake (from
     * the request queue, or from a SYN cookie). It waits in the accept queue, or is accepted now:
     * its first handler run asks the acceptor for its handler.
     */
    void established(Tcb tcb) {
        lock.lock();
        try {
            requests.remove(tcb);
            requestCount = requests.size();
            if (acceptor == null) {
                acceptQueue.add(tcb);
                acceptCount = acceptQueue.size();
                acceptable.signalAll();
                return;
            }
        } finally {
            lock.unlock();
        }
        tcb.listener = null;
        tcb.handler = c -> c.setHandler(Objects.requireNonNull(acceptor.accepted(c), "acceptor returned no handler"));
        Wakeups.notify(tcb);
    }

    /** A connection of this listener died before it was accepted: out of whichever queue holds it. */
    void abandoned(Tcb tcb) {
        lock.lock();
        try {
            if (requests.remove(tcb)) {
                requestCount = requests.size();
            } else if (acceptQueue.remove(tcb)) {
                acceptCount = acceptQueue.size();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (0 = forever) for an established connection; null on
     * timeout. The deadline is on the stack's clock, as {@link TcpConnection}'s waits.
     */
    Tcb accept(long timeoutMillis) throws InterruptedException {
        long deadline = layer.clock().nanos() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (acceptQueue.isEmpty()) {
                if (closed) {
                    return null;
                }
                if (timeoutMillis == 0) {
                    acceptable.await();
                } else {
                    long left = deadline - layer.clock().nanos();
                    if (left <= 0) {
                        return null;
                    }
                    acceptable.awaitNanos(left);
                }
            }
            return take();
        } finally {
            lock.unlock();
        }
    }

    private Tcb take() {
        Tcb tcb = acceptQueue.poll();
        acceptCount = acceptQueue.size();
        return tcb;
    }

    /** An established connection if one is waiting, else null; never blocks. */
    Tcb poll() {
        lock.lock();
        try {
            return take();
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    int acceptQueueLength() {
        return acceptCount;
    }

    /** Stops listening; returns the connections nobody accepted (the caller resets them, like Linux). */
    ArrayDeque<Tcb> close() {
        lock.lock();
        try {
            closed = true;
            acceptable.signalAll();
            ArrayDeque<Tcb> left = new ArrayDeque<>(acceptQueue);
            acceptQueue.clear();
            acceptCount = 0;
            return left;
        } finally {
            lock.unlock();
        }
    }
}
