package io.tcpstack.tcp;

import io.tcpstack.profile.MemoryLimits;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The stack-wide memory budget (Linux tcp_memory_allocated against tcp_mem, net/core/sock.c
 * __sk_mem_raise_allocated and __sk_mem_reduce_allocated). A connection is charged, in whole
 * pages, for the bytes it queues: unread in-order data, its out-of-order queue's charge
 * ({@link Reassembly#charge}) and its send buffer. Whole pages are taken when a queue grows past
 * what the connection holds (sk_mem_schedule) and given back when it shrinks (sk_mem_reclaim),
 * so a connection keeps less than one page spare. Above PRESSURE the stack is under memory
 * pressure until the total falls to LOW again (TcpExtTCPMemoryPressures, ...Chrono); above HIGH
 * nothing beyond a connection's minimum (tcp_rmem[0] received, tcp_wmem[0] queued to send) is
 * given. The per-connection numbers are kept under the Tcb's lock, the total is atomic.
 */
final class TcpMemory {
    private final TcpLayer layer;
    private final TcpSettings settings;
    private final StackStats stats;
    /** Linux tcp_memory_allocated, in pages. */
    private final AtomicLong allocated = new AtomicLong();
    /** Linux tcp_memory_pressure: 0, or (ms + 1) when it began. */
    private final AtomicLong pressureSince = new AtomicLong();

    TcpMemory(TcpLayer layer) {
        this.layer = layer;
        this.settings = layer.settings();
        this.stats = layer.stats();
    }

    /** Linux tcp_under_memory_pressure. */
    boolean underPressure() {
        return pressureSince.get() != 0;
    }

    /** Pages charged to every connection together (tcp_memory_allocated; /proc/net/sockstat's "mem"). */
    long allocatedPages() {
        return allocated.get();
    }

    /** Bytes {@code tcb} queues now (sk_rmem_alloc + sk_wmem_queued, with payload in place of truesize). */
    static int queued(Tcb tcb) {
        return receiveQueued(tcb) + tcb.sendBuffer.size();
    }

    private static int receiveQueued(Tcb tcb) {
        return tcb.receiveBuffer.size() + tcb.reassembly.charge();
    }

    private static int pages(long bytes) {
        return (int) ((bytes + MemoryLimits.PAGE - 1) / MemoryLimits.PAGE);
    }

    /**
     * Linux sk_rmem_schedule / sk_wmem_schedule: room for {@code size} more bytes on {@code tcb}
     * ({@code send}: in its send buffer, else received). False if the budget refuses; a refused
     * write also shrinks the send buffer to half what is queued (sk_stream_moderate_sndbuf).
     */
    boolean schedule(Tcb tcb, int size, boolean send) {
        int needed = pages((long) queued(tcb) + size) - tcb.memPages;
        if (needed <= 0) {
            return true;
        }
        if (raise(tcb, needed, send)) {
            tcb.memPages += needed;
            return true;
        }
        if (send) {
            stats.inc(Counter.TcpExtTCPSndMemDrop);
            moderateSndbuf(tcb);
        }
        return false;
    }

    /**
     * Linux tcp_sendmsg with sk_wmem_schedule: how many of {@code size} bytes {@code tcb} may
     * queue to send. When the budget refuses, what fits the pages it holds, and a connection with
     * less than tcp_wmem[0] queued always gets that much (__sk_mem_raise_allocated lets a stream
     * under its moderated sndbuf have it): with data in flight, an ACK will wake the writer.
     */
    int sendable(Tcb tcb, int size) {
        if (size <= 0 || schedule(tcb, size, true)) {
            return Math.max(size, 0);
        }
        int minimum = settings.wmem.min() - tcb.sendBuffer.size();
        if (minimum > 0) {
            forceSchedule(tcb, Math.min(size, minimum));
            return Math.min(size, minimum);
        }
        return Math.max(0, Math.min(size, tcb.memPages * MemoryLimits.PAGE - queued(tcb)));
    }

    /** Linux sk_forced_mem_schedule: taken whatever the budget says (the first bytes of an empty queue). */
    void forceSchedule(Tcb tcb, int size) {
        int needed = pages((long) queued(tcb) + size) - tcb.memPages;
        if (needed > 0) {
            tcb.memPages += needed;
            if (allocated.addAndGet(needed) > settings.tcpMem.pressure()) {
                enterPressure();
            }
        }
    }

    /** Linux __sk_mem_raise_allocated: takes {@code pages}, or takes nothing and returns false. */
    private boolean raise(Tcb tcb, int pages, boolean send) {
        MemoryLimits limits = settings.tcpMem;
        long total = allocated.addAndGet(pages);
        if (total <= limits.low()) {
            leavePressure();
            return true;
        }
        if (total > limits.pressure()) {
            enterPressure();
        }
        if (total <= limits.high() && (belowMinimum(tcb, send) || !underPressure() || fairShare(tcb, limits))) {
            return true; // "guarantee minimum buffer size under pressure", then each its share of HIGH
        }
        allocated.addAndGet(-pages); // suppress_allocation
        return false;
    }

    private boolean belowMinimum(Tcb tcb, boolean send) {
        return send ? tcb.sendBuffer.size() < settings.wmem.min() : receiveQueued(tcb) < settings.rmem.min();
    }

    /** Linux: under pressure a socket still gets memory while every socket holding as much would fit HIGH. */
    private boolean fairShare(Tcb tcb, MemoryLimits limits) {
        return limits.high() > (long) Math.max(layer.connectionCount(), 1) * tcb.memPages;
    }

    /**
     * Linux sk_stream_moderate_sndbuf: the send buffer shrinks to half what is queued (at least
     * tcp_wmem[0]); it is given back its size once the budget is below LOW again ({@link #reclaim}).
     */
    private void moderateSndbuf(Tcb tcb) {
        int sndbuf = Math.max(Math.min(tcb.sendBuffer.capacity(), tcb.sendBuffer.size() >> 1), settings.wmem.min());
        tcb.sendBuffer.setCapacity(sndbuf);
    }

    /**
     * Linux sk_mem_reclaim after a queue shrank (data read, acknowledged, pruned): whole pages
     * the connection no longer needs go back. Under pressure its buffers' arrays are cut down to
     * what they hold (the heap side of tcp_collapse); below LOW a moderated send buffer gets its
     * size back (tcp_should_expand_sndbuf, tcp_sndbuf_expand).
     */
    void reclaim(Tcb tcb) {
        int spare = tcb.memPages - pages(queued(tcb));
        if (spare > 0) {
            tcb.memPages -= spare;
            reduce(spare);
        }
        if (underPressure()) {
            tcb.receiveBuffer.trim();
            tcb.sendBuffer.trim();
        } else if (allocated.get() < settings.tcpMem.low() && tcb.sendBuffer.capacity() < settings.wmem.max()) {
            tcb.sendBuffer.setCapacity(settings.wmem.max());
        }
    }

    /** The connection is gone: everything it held goes back. */
    void release(Tcb tcb) {
        int held = tcb.memPages;
        tcb.memPages = 0;
        if (held > 0) {
            reduce(held);
        }
    }

    /** Linux __sk_mem_reduce_allocated: below LOW the pressure ends. */
    private void reduce(int pages) {
        if (allocated.addAndGet(-pages) < settings.tcpMem.low()) {
            leavePressure();
        }
    }

    /** Linux tcp_enter_memory_pressure: counted once per episode. */
    private void enterPressure() {
        if (pressureSince.get() == 0 && pressureSince.compareAndSet(0, layer.nowMs() + 1)) {
            stats.inc(Counter.TcpExtTCPMemoryPressures);
        }
    }

    /** Linux tcp_leave_memory_pressure: the episode's length goes to TcpExtTCPMemoryPressuresChrono. */
    private void leavePressure() {
        long since = pressureSince.get();
        if (since != 0 && pressureSince.compareAndSet(since, 0)) {
            stats.add(Counter.TcpExtTCPMemoryPressuresChrono, Math.max(0, layer.nowMs() + 1 - since));
        }
    }
}
