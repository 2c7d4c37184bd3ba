package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.time.TimerDriven;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.Ipv6View;
import io.tcpstack.wire.TcpSegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A network on virtual time joining two or more stacks in one thread, deterministically (the
 * idea of smoltcp's seeded tests/netsim.rs): the scenario tests' network.
 *
 * <p>Each stack gets its own {@link Link} from {@link #endpoint}, addressed by the stack's IPv4
 * address (and its IPv6 one, {@link Endpoint#alsoAt}); a packet is routed by the destination
 * address in its IPv4 or IPv6 header, and arrives on the
 * queue its endpoint's {@link Steering} picks (by flow, or by the queue it was sent on: the
 * sending context). Packets in flight wait in one event queue ordered by (delivery time,
 * sequence number), so ties go in sending order. Impairments ({@link Impairment}: latency, loss, duplication, reordering) apply per
 * direction or to every direction; their random choices come from one {@link SplittableRandom}
 * seeded by the caller, so the same seed and the same script give the same run, packet for
 * packet. Scripted rules ({@link #dropIf}, {@link #dropNth}) drop exact packets for exact
 * scenarios; they are checked when a packet is sent, before any random choice.
 *
 * <p>Nothing moves by itself. {@link #step()}, {@link #runFor} and {@link #runUntil} jump the
 * shared {@link VirtualClock} to the next event: the earliest packet delivery or the earliest
 * timer of any stack {@link #attach attached} (each stack must run on {@link #clock()}, so it
 * processes inbound packets inline: a delivery runs the receiving stack's input to completion on the caller).
 * Packets the stack sends while doing so join the queue; none is delivered re-entrantly.
 *
 * <p>Buffers: {@link Link#send} hands the network ownership of the packet; the network keeps it
 * until delivery (a duplicate is a copy), passes it to the receiver for the duration of the call
 * and releases it afterwards, or at once when it is dropped. {@link #close()} releases what is
 * still in flight.
 *
 * <p>Not thread-safe: the network, its endpoints and the stacks on it are driven from one thread.
 */
public final class SimulatedNetwork implements AutoCloseable {
    /** MTU of endpoints made without one (Ethernet). */
    public static final int DEFAULT_MTU = 1500;

    private static final Comparator<InFlight> ORDER =
            Comparator.comparingLong(InFlight::atNanos).thenComparingLong(InFlight::sequence);

    private final VirtualClock clock;
    private final SplittableRandom random;
    private final PriorityQueue<InFlight> inFlight = new PriorityQueue<>(ORDER);
    private final Map<Integer, Endpoint> endpoints = new LinkedHashMap<>();
    private final Map<IpAddress, Endpoint> endpoints6 = new HashMap<>();
    private final List<TimerDriven> timerOwners = new ArrayList<>();
    private final Map<Long, Impairment> paths = new HashMap<>();
    private final List<Rule> rules = new ArrayList<>();
    private final List<PacketObserver> observers = new ArrayList<>();
    private Impairment everywhere = Impairment.NONE;
    private long sequence;
    private long sent;
    private long delivered;
    private long lost;
    private long droppedByRule;
    private long duplicated;
    private long unroutable;

    /** What happened to a packet, as {@link PacketObserver}s see it. */
    public enum PacketEvent {
        /** A stack handed it to the network. */
        SENT,
        /** Lost to the random loss rate. */
        LOST,
        /** Dropped by a scripted rule. */
        DROPPED,
        /** A second copy was scheduled (the copy is delivered on its own). */
        DUPLICATED,
        /** No endpoint has its destination address, or the endpoint is closed or not started. */
        UNROUTABLE,
        /** Handed to the receiving endpoint now. */
        DELIVERED
    }

    /** Watches packets go by (ladder diagrams, pcap, counting duplicate ACKs in a test). */
    @FunctionalInterface
    public interface PacketObserver {
        /** {@code packet} (one IPv4 packet, readable bytes) is only valid during the call. */
        void onPacket(PacketEvent event, long nowNanos, ByteBuf packet);
    }

    /** A packet on its way; {@code fromQueue} is the queue (the sending context) it was sent on. */
    private record InFlight(long atNanos, long sequence, Endpoint to, int fromQueue, ByteBuf packet) {
    }

    /** A network with its own virtual clock, starting at 1 s (so no timestamp is 0). */
    public SimulatedNetwork(long seed) {
        this(new VirtualClock(1_000_000_000L), seed);
    }

    public SimulatedNetwork(VirtualClock clock, long seed) {
        this.clock = clock;
        this.random = new SplittableRandom(seed);
    }

    /** The clock every stack on this network must use. */
    public VirtualClock clock() {
        return clock;
    }

    // ---- topology

    /** A single-queue link with the {@link #DEFAULT_MTU} for the host at {@code address} (dotted). */
    public Endpoint endpoint(String address) {
        return endpoint(Ipv4Address.parse(address), 1, DEFAULT_MTU);
    }

    /** A link for the host at {@code address} (big-endian int), with {@code queues} queues. */
    public Endpoint endpoint(int address, int queues, int mtu) {
        if (queues < 1 || mtu < Ipv4View.MIN_HEADER_LENGTH) {
            throw new IllegalArgumentException("need at least one queue and an MTU of 20 or more");
        }
        if (endpoints.containsKey(address)) {
            throw new IllegalStateException(Ipv4Address.format(address) + " already has an endpoint");
        }
        Endpoint e = new Endpoint(address, queues, mtu);
        endpoints.put(address, e);
        return e;
    }

    /** Runs {@code owner}'s timers as virtual time passes (a TcpStack on {@link #clock()}). */
    public void attach(TimerDriven owner) {
        timerOwners.add(owner);
    }

    // ---- impairment

    /** Sets the impairment of every direction that has none of its own. */
    public void impair(Impairment impairment) {
        everywhere = impairment;
    }

    /** Sets the impairment of packets from {@code from} to {@code to} (one direction only). */
    public void impair(String from, String to, Impairment impairment) {
        paths.put(path(Ipv4Address.parse(from), Ipv4Address.parse(to)), impairment);
    }

    private Impairment impairment(int from, int to) {
        return paths.getOrDefault(path(from, to), everywhere);
    }

    private static long path(int from, int to) {
        return ((long) from << 32) | (to & 0xffffffffL);
    }

    /** Drops every TCP packet that matches, from now on. */
    public Rule dropIf(Predicate<TcpSegment> match) {
        return addRule(match, 0);
    }

    /** Drops the {@code n}th TCP packet (1-based) that matches from now on, and no other. */
    public Rule dropNth(int n, Predicate<TcpSegment> match) {
        if (n < 1) {
            throw new IllegalArgumentException("n counts from 1, got " + n);
        }
        return addRule(match, n);
    }

    /**
     * Delays every TCP packet that matches by {@code extra} beyond the path's latency: a scripted,
     * deterministic reordering (the packets sent after it in that time overtake it).
     */
    public Rule delayIf(Predicate<TcpSegment> match, Duration extra) {
        return addRule(new Rule(match, 0, Rule.Action.DELAY, extra.toNanos()));
    }

    /** Sends a second copy of every TCP packet that matches (delivered right after the first). */
    public Rule duplicateIf(Predicate<TcpSegment> match) {
        return addRule(new Rule(match, 0, Rule.Action.DUPLICATE, 0));
    }

    private Rule addRule(Predicate<TcpSegment> match, int nth) {
        return addRule(new Rule(match, nth, Rule.Action.DROP, 0));
    }

    private Rule addRule(Rule rule) {
        rules.add(rule);
        return rule;
    }

    public void addObserver(PacketObserver observer) {
        observers.add(observer);
    }

    /**
     * A scripted rule: drops, delays or duplicates the packets it matches; counts what it matched
     * and acted on; {@link #remove()} ends it.
     */
    public final class Rule {
        private enum Action {
            DROP,
            DELAY,
            DUPLICATE
        }

        private final Predicate<TcpSegment> match;
        private final int nth;
        private final Action action;
        private final long delayNanos;
        private int matched;
        private int acted;

        private Rule(Predicate<TcpSegment> match, int nth, Action action, long delayNanos) {
            this.match = match;
            this.nth = nth;
            this.action = action;
            this.delayNanos = delayNanos;
        }

        /** Whether this rule acts on {@code segment}; counts it when it matches. */
        private boolean actsOn(TcpSegment segment) {
            if (!match.test(segment)) {
                return false;
            }
            matched++;
            boolean act = nth == 0 || matched == nth;
            if (act) {
                acted++;
            }
            return act;
        }

        public int matched() {
            return matched;
        }

        /** Packets this rule dropped (0 for a delaying or duplicating rule). */
        public int dropped() {
            return action == Action.DROP ? acted : 0;
        }

        /** Packets this rule acted on: dropped, delayed or duplicated. */
        public int acted() {
            return acted;
        }

        public void remove() {
            rules.remove(this);
        }
    }

    // ---- counters

    /** Packets the stacks handed to the network. */
    public long sent() {
        return sent;
    }

    /** Packets handed to a receiver (duplicates included). */
    public long delivered() {
        return delivered;
    }

    /** Packets lost to the random loss rate. */
    public long lost() {
        return lost;
    }

    /** Packets dropped by scripted rules. */
    public long droppedByRule() {
        return droppedByRule;
    }

    /** Packets with no endpoint to go to (unknown address, endpoint closed or not started). */
    public long unroutable() {
        return unroutable;
    }

    /** Every packet that did not arrive: lost, dropped by a rule, or unroutable. */
    public long dropped() {
        return lost + droppedByRule + unroutable;
    }

    /** Extra copies made by the duplication rate. */
    public long duplicated() {
        return duplicated;
    }

    /** Packets waiting for their delivery time. */
    public int inFlight() {
        return inFlight.size();
    }

    // ---- sending

    private void transmit(Endpoint from, int fromQueue, ByteBuf packet) {
        sent++;
        notify(PacketEvent.SENT, packet);
        Endpoint to = route(packet);
        if (to == null) {
            unroutable++;
            notify(PacketEvent.UNROUTABLE, packet);
            packet.release();
            return;
        }
        ScriptedEffect effect = scriptedEffect(packet);
        if (effect.drop()) {
            droppedByRule++;
            notify(PacketEvent.DROPPED, packet);
            packet.release();
            return;
        }
        Impairment impairment = impairment(from.address, to.address);
        if (impairment.lossRate() > 0 && random.nextDouble() < impairment.lossRate()) {
            lost++;
            notify(PacketEvent.LOST, packet);
            packet.release();
            return;
        }
        ByteBuf copy = null;
        if (effect.duplicate() || (impairment.duplicateRate() > 0 && random.nextDouble() < impairment.duplicateRate())) {
            duplicated++;
            notify(PacketEvent.DUPLICATED, packet);
            copy = packet.copy();
        }
        schedule(to, fromQueue, packet, impairment, effect.delayNanos());
        if (copy != null) {
            schedule(to, fromQueue, copy, impairment, effect.delayNanos());
        }
    }

    /** The endpoint of the packet's destination address, or null. */
    private Endpoint route(ByteBuf packet) {
        int start = packet.readerIndex();
        if (packet.isReadable() && (packet.getUnsignedByte(start) >>> 4) == 6) {
            return packet.readableBytes() >= Ipv6View.HEADER_LENGTH ? endpoints6.get(IpAddress.read(packet, start + 24)) : null;
        }
        return packet.readableBytes() >= Ipv4View.MIN_HEADER_LENGTH ? endpoints.get(packet.getInt(start + 16)) : null;
    }

    /** The transport protocol of a packet of either family without extension headers. */
    private static int protocol(ByteBuf packet) {
        int start = packet.readerIndex();
        return (packet.getUnsignedByte(start) >>> 4) == 6 ? packet.getUnsignedByte(start + 6)
                : packet.getUnsignedByte(start + 9);
    }

    /** What the scripted rules do to one packet. */
    private record ScriptedEffect(boolean drop, long delayNanos, boolean duplicate) {
        static final ScriptedEffect NONE = new ScriptedEffect(false, 0, false);
    }

    /** Every rule sees every TCP packet (so each counts its own matches); their effects add up. */
    private ScriptedEffect scriptedEffect(ByteBuf packet) {
        if (rules.isEmpty() || protocol(packet) != IpProtocol.TCP) {
            return ScriptedEffect.NONE;
        }
        TcpSegment segment;
        try {
            segment = TcpSegment.parse(packet);
        } catch (RuntimeException malformed) {
            return ScriptedEffect.NONE; // not a TCP segment any rule could describe; the receiver judges it
        }
        boolean drop = false;
        boolean duplicate = false;
        long delay = 0;
        for (Rule rule : List.copyOf(rules)) {
            if (rule.actsOn(segment)) {
                switch (rule.action) {
                    case DROP -> drop = true;
                    case DELAY -> delay += rule.delayNanos;
                    case DUPLICATE -> duplicate = true;
                }
            }
        }
        return new ScriptedEffect(drop, delay, duplicate);
    }

    private void schedule(Endpoint to, int fromQueue, ByteBuf packet, Impairment impairment, long extraNanos) {
        long delay = impairment.latencyNanos() + extraNanos;
        if (impairment.reorderRate() > 0 && random.nextDouble() < impairment.reorderRate()) {
            delay += random.nextLong(impairment.reorderMaxNanos() + 1);
        }
        inFlight.add(new InFlight(clock.nanos() + delay, sequence++, to, fromQueue, packet));
    }

    // ---- running

    /** When the next event is due (a delivery or a timer of an attached stack), or Long.MAX_VALUE. */
    public long nextEventNanos() {
        InFlight head = inFlight.peek();
        long next = head == null ? Long.MAX_VALUE : head.atNanos();
        for (TimerDriven owner : timerOwners) {
            next = Math.min(next, owner.nextTimerNanos());
        }
        return next;
    }

    /**
     * Moves the clock to the next event and runs it: one packet delivery, or else the due timers
     * of every attached stack (a delivery due at the same time goes first). Returns false when
     * nothing is pending.
     */
    public boolean step() {
        long next = nextEventNanos();
        if (next == Long.MAX_VALUE) {
            return false;
        }
        if (next > clock.nanos()) {
            clock.setNanos(next);
        }
        InFlight head = inFlight.peek();
        if (head != null && head.atNanos() <= clock.nanos()) {
            inFlight.poll();
            deliver(head);
        } else {
            for (TimerDriven owner : timerOwners) {
                owner.runTimers();
            }
        }
        return true;
    }

    /** Runs every event of the next {@code duration} of virtual time and ends exactly there. */
    public void runFor(Duration duration) {
        long end = clock.nanos() + duration.toNanos();
        while (nextEventNanos() <= end) {
            step();
        }
        clock.setNanos(end);
    }

    public void runForMillis(long millis) {
        runFor(Duration.ofMillis(millis));
    }

    /**
     * Runs events until {@code done} holds, for at most {@code maxVirtualMillis} of virtual time.
     * {@code done} is evaluated before the first event and after each one, on this thread, so it
     * may also play the applications (write what fits, read what arrived) as an event loop would.
     * Returns whether {@code done} held; when it did not, the clock ends at the limit.
     */
    public boolean runUntil(BooleanSupplier done, long maxVirtualMillis) {
        long end = clock.nanos() + maxVirtualMillis * 1_000_000L;
        while (!done.getAsBoolean()) {
            if (nextEventNanos() > end) {
                clock.setNanos(Math.max(end, clock.nanos()));
                return done.getAsBoolean();
            }
            step();
        }
        return true;
    }

    private void deliver(InFlight f) {
        ByteBuf packet = f.packet();
        try {
            Endpoint to = f.to();
            if (to.closed || to.receiver == null) {
                unroutable++;
                notify(PacketEvent.UNROUTABLE, packet);
                return;
            }
            delivered++;
            notify(PacketEvent.DELIVERED, packet);
            int queue = to.queueFor(f.fromQueue(), packet);
            to.receiver.receive(queue, packet);
            to.receiver.endOfBurst(queue); // one packet per burst, as a TUN reader woken for each
        } finally {
            packet.release();
        }
    }

    private void notify(PacketEvent event, ByteBuf packet) {
        for (PacketObserver observer : observers) {
            observer.onPacket(event, clock.nanos(), packet);
        }
    }

    /** Releases every packet still in flight and closes every endpoint. */
    @Override
    public void close() {
        InFlight f;
        while ((f = inFlight.poll()) != null) {
            f.packet().release();
        }
        for (Endpoint e : endpoints.values()) {
            e.close();
        }
    }

    /** One host's attachment to the network: the {@link Link} its stack is built on. */
    public final class Endpoint implements Link {
        private final int address;
        private final int queues;
        private final int mtu;
        private PacketReceiver receiver;
        private boolean closed;
        private Steering steering = Steering.FLOW;

        private Endpoint(int address, int queues, int mtu) {
            this.address = address;
            this.queues = queues;
            this.mtu = mtu;
        }

        /** The IPv4 address packets must carry as destination to reach this endpoint. */
        public int address() {
            return address;
        }

        /** Makes IPv6 packets to {@code address6} reach this endpoint too (a dual-stack host). */
        public Endpoint alsoAt(String address6) {
            IpAddress a = IpAddress.parse(address6);
            if (a.isV4() || endpoints6.putIfAbsent(a, this) != null) {
                throw new IllegalStateException(address6 + " is not an IPv6 address, or already has an endpoint");
            }
            return this;
        }

        @Override
        public int queueCount() {
            return queues;
        }

        @Override
        public int mtu() {
            return mtu;
        }

        @Override
        public ByteBufAllocator alloc() {
            return UnpooledByteBufAllocator.DEFAULT;
        }

        /** Takes ownership of {@code packet}; after {@link #close()} it is released unsent. */
        @Override
        public void send(int queue, ByteBuf packet) {
            if (closed) {
                packet.release();
                return;
            }
            transmit(this, queue, packet);
        }

        @Override
        public void start(PacketReceiver receiver) {
            if (this.receiver != null) {
                throw new IllegalStateException("already started");
            }
            this.receiver = receiver;
        }

        /**
         * Inbound packets arrive on the queue {@code steering} picks: by flow until the stack on
         * this endpoint steers (RSS: one flow, one queue); by the sender's context, the queue the
         * sending stack wrote the packet on (as a TUN device with the sending-CPU program); or
         * the second for packets without TCP data and the first for the rest.
         */
        @Override
        public void steer(Steering steering) {
            this.steering = steering;
        }

        @Override
        public String steering() {
            return queues == 1 ? "one queue" : switch (steering) {
                case FLOW -> "by flow";
                case DATA_BY_FLOW -> "data by flow, the rest by the sender's context";
                case SENDING_CPU -> "by the sender's context";
            };
        }

        private int queueFor(int fromQueue, ByteBuf packet) {
            return queues == 1 ? 0 : steering.queue(fromQueue, packet, queues);
        }

        /** Packets to this endpoint are dropped (unroutable) from now on. Idempotent. */
        @Override
        public void close() {
            closed = true;
        }

        @Override
        public String toString() {
            return "sim:" + Ipv4Address.format(address);
        }
    }
}
