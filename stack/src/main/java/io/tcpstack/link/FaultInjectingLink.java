package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.time.Timeout;
import io.tcpstack.time.TimerDriven;
import io.tcpstack.time.TimerQueue;
import io.tcpstack.time.TimerThread;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.IpAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Link} decorator that impairs TCP segments on purpose, in both directions, by ordered
 * {@link FaultRule}s that can be added and removed while packets flow (smoltcp's
 * phy/fault_injector.rs, netem's kinds): drop, delay, duplicate, reorder, corrupt. The stack's
 * own impairment layer, since the test machines have no netem; the same rules run on a TUN device
 * and on a {@link SimulatedNetwork} endpoint (on virtual time, with the link {@link
 * SimulatedNetwork#attach attached} so its timers run).
 *
 * <p>Each segment meets the rules in order; each rule that matches counts it and, if its
 * selection picks it, acts: a drop ends the walk, the other actions add up (a delayed segment is
 * overtaken by those behind it; a reordered one is held back until {@code by} later segments of
 * its direction went, or its {@code max} passed; a duplicate goes at once; corruption flips one
 * byte, so that the receiver's checksum drops it). Every act is counted in the stack's {@link
 * StackStats} (drop reason {@link DropReason#FAULT_INJECTED}, {@code TcpExtFault*}) and traced
 * as a {@link TraceEvent.Kind#FAULT} event naming the connection and the segment.
 *
 * <p>Without rules a packet costs one volatile read. Inbound packets delivered later (delayed or
 * held) are handed up by the timer thread under the lock of their queue, which a reader takes too
 * while such packets may be pending: a stack's per-queue scratch state never sees two threads.
 */
public final class FaultInjectingLink extends ForwardingLink implements TimerDriven {
    private static final FaultRule[] NONE = new FaultRule[0];

    private final List<IpAddress> localAddresses;
    private final Clock clock;
    private final FaultJudge judge;
    private final TimerQueue timers = new TimerQueue();
    private final TimerThread timerThread;
    private final FlowTable flows = new FlowTable();
    private final Object[] queueLocks;
    private final Held heldOut = new Held();
    private final Held heldIn = new Held();
    /** Inbound packets waiting for a timer (delayed or held): readers lock while there are any. */
    private final AtomicInteger inboundPending = new AtomicInteger();
    private final Set<Later> pending = ConcurrentHashMap.newKeySet();
    private final AtomicInteger nextId = new AtomicInteger();
    private volatile FaultRule[] rules = NONE;
    private volatile boolean needsFlows;

    /**
     * @param localAddresses the stack's addresses (rules naming a 4-tuple must include one)
     * @param clock the stack's clock; on a {@link VirtualClock} the owner runs {@link #runTimers}
     */
    public FaultInjectingLink(Link link, List<IpAddress> localAddresses, Clock clock, Tracer tracer, StackStats stats) {
        super(link);
        this.localAddresses = List.copyOf(localAddresses);
        this.clock = clock;
        this.judge = new FaultJudge(link, clock, tracer, stats, flows);
        this.queueLocks = new Object[Math.max(link.queueCount(), 1)];
        Arrays.setAll(queueLocks, i -> new Object());
        if (clock instanceof VirtualClock) {
            timerThread = null;
        } else {
            timerThread = new TimerThread(timers, clock);
            timerThread.start();
        }
    }

    // ---- rules

    /** Adds {@code rule} after the others; IllegalArgumentException if it can never match here. */
    public synchronized FaultRule add(FaultRule rule) {
        String never = rule.neverMatchesAt(localAddresses);
        if (never != null) {
            throw new IllegalArgumentException("fault rule '" + rule + "' never matches: " + never);
        }
        rule.setId(nextId.incrementAndGet());
        FaultRule[] now = Arrays.copyOf(rules, rules.length + 1);
        now[now.length - 1] = rule;
        publish(now);
        return rule;
    }

    /** Removes the rule with {@code id}; the removed rule, or null if there is none. */
    public synchronized FaultRule remove(int id) {
        List<FaultRule> kept = new ArrayList<>(Arrays.asList(rules));
        FaultRule removed = kept.stream().filter(r -> r.id() == id).findFirst().orElse(null);
        kept.remove(removed);
        publish(kept.toArray(NONE));
        return removed;
    }

    /** Removes every rule; returns them. */
    public synchronized List<FaultRule> clear() {
        List<FaultRule> all = List.of(rules);
        publish(NONE);
        return all;
    }

    /** The rules in the order they apply. */
    public List<FaultRule> rules() {
        return List.of(rules);
    }

    private void publish(FaultRule[] now) {
        needsFlows = Arrays.stream(now).anyMatch(FaultRule::needsFlows);
        rules = now;
        if (!needsFlows) {
            flows.clear();
        }
    }

    // ---- the two directions

    @Override
    public void send(int queue, ByteBuf packet) {
        FaultRule[] r = rules;
        if (r.length == 0 && heldOut.isEmpty()) {
            link.send(queue, packet);
            return;
        }
        FaultJudge.Fate fate = judge.judge(r, packet, true, needsFlows);
        if (fate.drop) {
            packet.release();
            return;
        }
        for (int i = 0; i < fate.copies; i++) {
            link.send(queue, copy(packet));
        }
        int passed = fate.copies;
        if (fate.deferred()) {
            defer(fate, new Later(true, queue, packet));
        } else {
            link.send(queue, packet);
            passed++;
        }
        for (Later h : heldOut.release(passed)) {
            timers.cancel(h);
            pending.remove(h);
            link.send(h.queue, h.packet);
        }
    }

    @Override
    protected void receive(int queue, ByteBuf packet, PacketReceiver next) {
        FaultRule[] r = rules;
        if (r.length == 0 && inboundPending.get() == 0) {
            next.receive(queue, packet);
            return;
        }
        synchronized (queueLocks[queue % queueLocks.length]) {
            FaultJudge.Fate fate = judge.judge(r, packet, false, needsFlows);
            if (fate.drop) {
                return;
            }
            for (int i = 0; i < fate.copies; i++) {
                ByteBuf copy = copy(packet);
                try {
                    next.receive(queue, copy);
                } finally {
                    copy.release();
                }
            }
            int passed = fate.copies;
            if (fate.deferred()) {
                inboundPending.incrementAndGet();
                defer(fate, new Later(false, queue, copy(packet))); // the reader's buffer is only lent to us
            } else {
                next.receive(queue, packet);
                passed++;
            }
            // released by this reader, on its own queue (its scratch state, its burst)
            for (Later h : heldIn.release(passed)) {
                timers.cancel(h);
                pending.remove(h);
                try {
                    next.receive(queue, h.packet);
                } finally {
                    h.packet.release();
                    inboundPending.decrementAndGet();
                }
            }
        }
    }

    /** A delayed packet waits for its time; a reordered one is held until later ones passed, or its maximum. */
    private void defer(FaultJudge.Fate fate, Later l) {
        if (fate.delayNanos > 0) {
            later(l, fate.delayNanos);
            return;
        }
        (l.out ? heldOut : heldIn).hold(l, fate.holdBy);
        later(l, fate.holdMaxNanos);
    }

    private ByteBuf copy(ByteBuf packet) {
        return link.alloc().directBuffer(packet.readableBytes()).writeBytes(packet, packet.readerIndex(),
                packet.readableBytes());
    }

    // ---- packets that go later: delayed, or held back until later ones passed

    /** A packet waiting for its timer (delay, or the longest a reordered packet is held). */
    private final class Later extends Timeout {
        final boolean out;
        final int queue;
        final ByteBuf packet;
        /** Held back by reorder (else delayed); the packets still to pass before it goes. */
        boolean held;
        int countdown;

        Later(boolean out, int queue, ByteBuf packet) {
            this.out = out;
            this.queue = queue;
            this.packet = packet;
        }

        @Override
        protected void expire(long nowNanos) {
            if (!pending.remove(this) || !(out ? heldOut : heldIn).forget(this)) {
                return; // released by the packets behind it, or the link closed
            }
            if (out) {
                link.send(queue, packet);
                return;
            }
            try {
                synchronized (queueLocks[queue % queueLocks.length]) {
                    try {
                        PacketReceiver next = next();
                        next.receive(queue, packet);
                        next.endOfBurst(queue);
                    } finally {
                        inboundPending.decrementAndGet();
                    }
                }
            } finally {
                packet.release();
            }
        }
    }

    private void later(Later l, long delayNanos) {
        pending.add(l);
        timers.schedule(l, clock.nanos() + delayNanos);
    }

    /** Packets held back in one direction until enough later packets passed. */
    private static final class Held {
        private final List<Later> list = new ArrayList<>();
        private volatile int size;

        boolean isEmpty() {
            return size == 0;
        }

        synchronized void hold(Later l, int by) {
            l.held = true;
            l.countdown = by;
            list.add(l);
            size = list.size();
        }

        /** {@code passed} packets went by: the held ones whose count ran out, taken out of the list. */
        synchronized List<Later> release(int passed) {
            if (list.isEmpty() || passed == 0) {
                return List.of();
            }
            List<Later> due = new ArrayList<>();
            list.removeIf(l -> {
                l.countdown -= passed;
                return l.countdown <= 0 && due.add(l);
            });
            size = list.size();
            return due;
        }

        /** True unless {@code l} is held and was released already (a delayed packet is never held). */
        synchronized boolean forget(Later l) {
            if (!l.held) {
                return true;
            }
            boolean was = list.remove(l);
            size = list.size();
            return was;
        }
    }

    // ---- timers (virtual time: the owner runs them; real time: a thread of our own)

    @Override
    public int runTimers() {
        return timers.advance(clock.nanos());
    }

    @Override
    public long nextTimerNanos() {
        return timers.nextDeadlineNanos();
    }

    /** Flows whose ISN and highest sequence the link keeps (while a rule needs them). */
    int trackedFlows() {
        return flows.size();
    }

    @Override
    public void close() {
        if (timerThread != null) {
            timerThread.close();
        }
        for (Later l : List.copyOf(pending)) {
            if (pending.remove(l)) {
                timers.cancel(l);
                l.packet.release();
            }
        }
        link.close();
    }
}
