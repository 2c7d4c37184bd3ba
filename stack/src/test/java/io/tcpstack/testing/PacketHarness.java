package io.tcpstack.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.api.StackConfig;
import io.tcpstack.api.TcpStack;
import io.tcpstack.inbound.InboundQueues;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.TcpSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One stack on virtual time against a scripted peer (gVisor's testing/context, packetdrill's
 * idea): {@link #inject} segments from the peer, {@link #expect} what the stack sends, {@link
 * #advance} time to fire timers. Every expectation is exact and nothing waits in real time.
 */
public final class PacketHarness implements AutoCloseable {
    public static final String STACK_ADDRESS = "198.18.0.2";
    public static final String PEER_ADDRESS = "198.18.0.1";
    public static final int STACK = Ipv4Address.parse(STACK_ADDRESS);
    public static final int PEER = Ipv4Address.parse(PEER_ADDRESS);
    public static final String STACK_ADDRESS6 = "2001:2::2";
    public static final String PEER_ADDRESS6 = "2001:2::1";
    public static final IpAddress STACK6 = IpAddress.parse(STACK_ADDRESS6);
    public static final IpAddress PEER6 = IpAddress.parse(PEER_ADDRESS6);

    public final VirtualClock clock = new VirtualClock(1_000_000_000L);
    public final TcpSettings settings;
    public final CaptureLink link;
    public final TcpStack stack;
    /** The stack has an IPv6 address too and the scripted peer speaks IPv6 ({@link #peer()}). */
    public final boolean ipv6;
    /** Every segment the stack sent, in order, with the virtual time it left. */
    public final List<Timed> history = new ArrayList<>();
    /** Every packet the stack sent, TCP or not, as bytes on the wire, in order. */
    public final List<CaptureLink.Sent> sent = new ArrayList<>();

    /** A segment the stack sent and when (virtual ms); over IPv6 with its flow label (0 over IPv4). */
    public record Timed(long atMillis, int queue, TcpSegment segment, int flowLabel) {
    }

    public PacketHarness() {
        this(new TcpSettings(), 1);
    }

    public PacketHarness(TcpSettings settings, int queues) {
        this(settings, queues, InboundQueues.Mode.INLINE);
    }

    /** With {@link InboundQueues.Mode#STEPPED}, injected packets wait in worker queues for {@link #step}. */
    public PacketHarness(TcpSettings settings, int queues, InboundQueues.Mode mode) {
        this(settings, queues, mode, false);
    }

    /** With {@code ipv6}, a dual-stack host (STACK and STACK6) whose peer is at {@link #PEER6}. */
    public PacketHarness(TcpSettings settings, int queues, InboundQueues.Mode mode, boolean ipv6) {
        this.settings = settings;
        this.ipv6 = ipv6;
        this.link = new CaptureLink(queues, 1500);
        StackConfig.Builder config = StackConfig.builder().address(STACK_ADDRESS).inboundMode(mode);
        if (ipv6) {
            config.address(STACK_ADDRESS6);
        }
        this.stack = new TcpStack(config.build(), link, clock, settings);
        stack.start();
    }

    /** The scripted peer's address: {@link #PEER6} in an IPv6 harness, else {@link #PEER}. */
    public IpAddress peer() {
        return ipv6 ? PEER6 : IpAddress.v4(PEER);
    }

    /**
     * STEPPED: a segment the peer sent from CPU {@code sendingCpu} arrives on the queue the
     * affinity's steering picks (as the TUN device's steering program would) and waits for its
     * thread; returns that thread's index for {@link #step}.
     */
    public int deliver(int sendingCpu, TcpSegment segment) {
        io.netty.buffer.ByteBuf packet = segment.emit(UnpooledByteBufAllocator.DEFAULT);
        try {
            int queue = settings.affinity.steering().queue(sendingCpu, packet, link.queueCount());
            return stack.inbound().enqueue(queue, packet);
        } finally {
            packet.release();
        }
    }

    /** STEPPED: processes the next packet of {@code worker}. */
    public boolean step(int worker) {
        boolean ran = stack.inbound().step(worker);
        collect();
        return ran;
    }

    /** STEPPED: processes everything queued. */
    public void drain() {
        stack.inbound().drain();
        collect();
    }

    public long nowMillis() {
        return clock.millis();
    }

    /** Delivers a segment from the peer on queue 0. */
    public void inject(TcpSegment segment) {
        inject(0, segment);
    }

    public void inject(int queue, TcpSegment segment) {
        link.inject(queue, segment.emit(UnpooledByteBufAllocator.DEFAULT));
        if (stack.inbound() != null) {
            stack.inbound().drain();
        }
        collect();
    }

    /** Delivers raw IPv4 or IPv6 bytes (malformed-input tests). */
    public void injectRaw(byte[] packet) {
        link.inject(0, Unpooled.wrappedBuffer(packet));
        collect();
    }

    /** Moves virtual time forward, firing every timer on its deadline. */
    public void advance(long millis) {
        stack.advanceTo(clock.nanos() + millis * 1_000_000L, this::collect);
    }

    /** Moves time until the stack sends something (at most {@code maxMillis}); returns it or fails. */
    public Timed advanceUntilSent(long maxMillis) {
        long end = clock.nanos() + maxMillis * 1_000_000L;
        while (unread.isEmpty()) {
            long next = stack.nextTimerNanos();
            assertThat(next).as("a timer is pending within %d ms", maxMillis).isLessThanOrEqualTo(end);
            clock.setNanos(Math.max(next, clock.nanos()));
            stack.runTimers();
            collect();
        }
        return unread.get(0);
    }

    private final List<Timed> unread = new ArrayList<>();
    private final List<CaptureLink.Sent> otherPackets = new ArrayList<>();

    private void collect() {
        CaptureLink.Sent s;
        while ((s = link.poll()) != null) {
            sent.add(s);
            boolean v6 = (s.packet()[0] >>> 4) == 6;
            if (s.packet()[v6 ? 6 : 9] != io.tcpstack.wire.IpProtocol.TCP) {
                otherPackets.add(s);
                continue;
            }
            TcpSegment seg = TcpSegment.parse(Unpooled.wrappedBuffer(s.packet()));
            int flowLabel = v6 ? Unpooled.wrappedBuffer(s.packet()).getInt(0) & 0xfffff : 0;
            Timed t = new Timed(clock.millis(), s.queue(), seg, flowLabel);
            history.add(t);
            unread.add(t);
        }
    }

    /** Takes the next segment the stack sent; fails if there is none or it does not match. */
    public TcpSegment expect(Predicate<TcpSegment> matcher) {
        return expectTimed(matcher).segment();
    }

    public Timed expectTimed(Predicate<TcpSegment> matcher) {
        collect();
        assertThat(unread).as("a segment was sent").isNotEmpty();
        Timed t = unread.remove(0);
        assertThat(matcher.test(t.segment())).as("segment %s matches %s", t.segment(), matcher).isTrue();
        return t;
    }

    /** Fails if the stack sends anything within {@code millis} of virtual time. */
    public void expectNothingFor(long millis) {
        collect();
        assertThat(unread).as("nothing sent").isEmpty();
        advance(millis);
        assertThat(unread).as("nothing sent within %d ms", millis).isEmpty();
    }

    /** Segments sent and not yet taken by {@link #expect}. */
    public List<TcpSegment> unread() {
        collect();
        return unread.stream().map(Timed::segment).toList();
    }

    /** The next non-TCP packet the stack sent (ICMP), or null. */
    public CaptureLink.Sent pollOther() {
        collect();
        return otherPackets.isEmpty() ? null : otherPackets.remove(0);
    }

    /** Packets of any kind sent and not yet taken. */
    public int pendingPackets() {
        collect();
        return otherPackets.size() + unread.size();
    }

    /**
     * Forgets every packet sent and not yet taken, segments and other packets alike (a fuzz
     * target's echo replies piled up here until the fuzzer's JVM held 4.7 GB).
     */
    public void discardUnread() {
        collect();
        unread.clear();
        otherPackets.clear();
    }

    @Override
    public void close() {
        stack.close();
    }
}
