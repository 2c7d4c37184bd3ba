package io.tcpstack.tcp;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A listening port (RFC 9293 LISTEN): connections in SYN-RECEIVED that came through it, and the
 * accept queue of established ones. {@code backlog} bounds both together, like Linux's
 * sk_max_ack_backlog for the accept queue (Linux bounds the SYN queue separately; one bound is
 * enough here). A listener with an {@link TcpHandler.Acceptor} has no accept queue: each
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
    private int synReceived;
    private volatile boolean closed;

    Listener(TcpLayer layer, int port, int backlog, TcpHandler.Acceptor acceptor, SynOptions synOptions) {
        this.layer = layer;
        this.port = port;
        this.backlog = backlog;
        this.acceptor = acceptor;
        this.synOptions = Objects.requireNonNull(synOptions);
    }

    /** Reserves room for a new SYN-RECEIVED connection; false when the backlog is full. */
    boolean reserve() {
        lock.lock();
        try {
            if (closed || synReceived + acceptQueue.size() >= backlog) {
                return false;
            }
            synReceived++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Under the lock of {@code tcb}: a reserved connection finished its handshake. It waits in the
     * accept queue, or is accepted now: its first handler run asks the acceptor for its handler.
     */
    void established(Tcb tcb) {
        lock.lock();
        try {
            synReceived--;
            if (acceptor == null) {
                acceptQueue.add(tcb);
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

    /** A reserved connection died before it was accepted. */
    void abandoned(Tcb tcb, boolean wasEstablished) {
        lock.lock();
        try {
            if (wasEstablished) {
                acceptQueue.remove(tcb);
            } else {
                synReceived--;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeoutMillis} (0 = forever) for an established connection; null on timeout. */
    Tcb accept(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (acceptQueue.isEmpty()) {
                if (closed) {
                    return null;
                }
                if (timeoutMillis == 0) {
                    acceptable.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    acceptable.awaitNanos(left);
                }
            }
            return acceptQueue.poll();
        } finally {
            lock.unlock();
        }
    }

    /** An established connection if one is waiting, else null; never blocks. */
    Tcb poll() {
        lock.lock();
        try {
            return acceptQueue.poll();
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    int acceptQueueLength() {
        lock.lock();
        try {
            return acceptQueue.size();
        } finally {
            lock.unlock();
        }
    }

    int synReceivedCount() {
        lock.lock();
        try {
            return synReceived;
        } finally {
            lock.unlock();
        }
    }

    /** Stops listening; returns the connections nobody accepted (the caller resets them, like Linux). */
    ArrayDeque<Tcb> close() {
        lock.lock();
        try {
            closed = true;
            acceptable.signalAll();
            ArrayDeque<Tcb> left = new ArrayDeque<>(acceptQueue);
            acceptQueue.clear();
            return left;
        } finally {
            lock.unlock();
        }
    }
}
