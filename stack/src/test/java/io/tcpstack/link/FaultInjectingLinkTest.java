package io.tcpstack.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.testing.CaptureLink;
import io.tcpstack.testing.PacketHarness;
import io.tcpstack.testing.Seg;
import io.tcpstack.time.VirtualClock;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.Tracer;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fault injector on its own: segments the stack sends (out) and receives (in) meet ordered
 * rules that drop, delay, duplicate, reorder or corrupt them, every act counted and traced with
 * the connection and the segment.
 */
class FaultInjectingLinkTest {
    private static final int ISS = 1000;

    private final CaptureLink device = new CaptureLink(1, 1500);
    private final VirtualClock clock = new VirtualClock(1_000_000_000L);
    private final StackStats stats = new StackStats();
    private final List<TraceEvent> events = new ArrayList<>();
    private final List<Long> inbound = new ArrayList<>();
    private FaultInjectingLink link;

    @BeforeEach
    void setUp() {
        Tracer tracer = new Tracer();
        tracer.setListener(events::add);
        link = new FaultInjectingLink(device, PacketHarness.STACK, clock, tracer, stats);
        link.start((queue, packet) -> inbound.add(packet.readableBytes() < 40 ? -1L
                : Integer.toUnsignedLong(TcpSegment.parse(packet).seq())));
    }

    /** A segment the stack sends from port 80 to the peer's 40000. */
    private static ByteBuf out(String flags, long seq, int length) {
        return new TcpSegment(PacketHarness.STACK, PacketHarness.PEER, 80, 40000, (int) seq, 1, Seg.flags(flags), 501,
                TcpSegment.Options.NONE, new byte[length]).emit(UnpooledByteBufAllocator.DEFAULT);
    }

    private static ByteBuf in(int peerPort, String flags, long seq, int length) {
        return Seg.from(peerPort, 80).flags(flags).seq(seq).ack(flags.contains(".") ? 1 : 0).payload(new byte[length])
                .build().emit(UnpooledByteBufAllocator.DEFAULT);
    }

    /** The sequence numbers of what reached the device, in order. */
    private List<Long> sent() {
        List<Long> seqs = new ArrayList<>();
        CaptureLink.Sent s;
        while ((s = device.poll()) != null) {
            seqs.add(Integer.toUnsignedLong(TcpSegment.parse(Unpooled.wrappedBuffer(s.packet())).seq()));
        }
        return seqs;
    }

    private void handshakeAndData(int segments) {
        link.send(0, out("S", ISS, 0));
        for (int i = 0; i < segments; i++) {
            link.send(0, out("P.", ISS + 1 + i * 1000L, 1000));
        }
    }

    @Test
    void withoutRulesEverythingPassesUntouched() {
        handshakeAndData(3);
        device.inject(0, in(40000, ".", 1, 0));
        assertThat(sent()).containsExactly(1000L, 1001L, 2001L, 3001L);
        assertThat(inbound).containsExactly(1L);
        assertThat(link.trackedFlows()).isZero();
    }

    @Test
    void aDropIsCountedAndTracedWithTheConnectionAndTheSequenceNumber() {
        FaultRule rule = link.add(FaultRule.parse("out data drop nth=2"));
        handshakeAndData(3);
        assertThat(sent()).containsExactly(1000L, 1001L, 3001L);
        assertThat(rule.id()).isEqualTo(1);
        assertThat(rule.matched()).isEqualTo(3);
        assertThat(rule.acted()).isEqualTo(1);
        assertThat(stats.get(DropReason.FAULT_INJECTED)).isEqualTo(1);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(TraceEvent.Kind.FAULT);
            assertThat(e.connection()).isEqualTo("198.18.0.2:80 198.18.0.1:40000");
            assertThat(e.text()).isEqualTo("rule 1 dropped: out P. seq=2001 ack=1 win=501 len=1000");
        });
    }

    @Test
    void freshOnlySparesRetransmissionsSoALossIsRepairedByTheRetransmission() {
        link.add(FaultRule.parse("out data drop every=1 fresh-only"));
        link.send(0, out("S", ISS, 0));
        link.send(0, out("P.", ISS + 1, 1000)); // fresh: dropped
        link.send(0, out("P.", ISS + 1001, 1000)); // fresh: dropped
        link.send(0, out("P.", ISS + 1, 1000)); // the retransmission goes
        link.send(0, out("P.", ISS + 1501, 1000)); // ends above what was sent: fresh, dropped
        link.send(0, out(".", ISS + 2501, 0)); // a pure ACK is no retransmission, and no data
        assertThat(sent()).containsExactly(1000L, 1001L, 3501L);
        assertThat(events).extracting(TraceEvent::text).allMatch(t -> t.startsWith("rule 1 dropped: out P."))
                .hasSize(3);
        assertThat(events.get(0).text()).endsWith("len=1000 rel=1");
    }

    @Test
    void sequenceRangesCountFromTheIsnTheLinkSaw() {
        link.add(FaultRule.parse("out seq=1001-2001 drop"));
        handshakeAndData(3); // data at rel 1, 1001, 2001
        assertThat(sent()).containsExactly(1000L, 1001L, 3001L);
        assertThat(events).singleElement().extracting(TraceEvent::text).asString().contains("rel=1001");
    }

    @Test
    void flagsMeanCarryingThemAndFinMeansAnySegmentWithFin() {
        link.add(FaultRule.parse("out fin empty drop"));
        link.add(FaultRule.parse("out flags=P drop nth=1"));
        link.send(0, out("P.", 1, 100)); // P: the second rule
        link.send(0, out("FP.", 101, 100)); // FIN with data: neither (the first wants it empty, the second is spent)
        link.send(0, out("F.", 201, 0)); // FIN alone: the first
        link.send(0, out(".", 202, 0));
        assertThat(sent()).containsExactly(101L, 202L);
    }

    @Test
    void endpointsMeanWhatConnsMeansByThemAndRulesApplyInOrder() {
        link.add(FaultRule.parse("in :40001 drop"));
        link.add(FaultRule.parse("in 198.18.0.1:40002 198.18.0.2:80 drop once"));
        for (int port = 40000; port <= 40002; port++) {
            device.inject(0, in(port, ".", port, 0));
            device.inject(0, in(port, ".", port, 0));
        }
        assertThat(inbound).containsExactly(40000L, 40000L, 40002L);
        assertThat(link.rules()).extracting(FaultRule::acted).containsExactly(2L, 1L);
        assertThat(events).extracting(TraceEvent::connection).containsExactly("198.18.0.2:80 198.18.0.1:40001",
                "198.18.0.2:80 198.18.0.1:40001", "198.18.0.2:80 198.18.0.1:40002");
        assertThat(link.remove(1).toString()).isEqualTo("in :40001 drop");
        assertThat(link.remove(7)).isNull();
        device.inject(0, in(40001, ".", 5, 0));
        assertThat(inbound).endsWith(5L);
        assertThat(link.clear()).hasSize(1);
        assertThat(link.rules()).isEmpty();
    }

    @Test
    void aFourTupleWithoutTheStacksAddressIsRefused() {
        assertThatThrownBy(() -> link.add(FaultRule.parse("out 10.0.0.1:80 10.0.0.2:9 drop")))
                .hasMessage("fault rule 'out 10.0.0.1:80 10.0.0.2:9 drop' never matches: neither endpoint is the"
                        + " stack's address 198.18.0.2");
        assertThat(link.rules()).isEmpty();
    }

    @Test
    void delayedSegmentsGoWhenTheirTimeComesAndAreOvertakenMeanwhile() {
        link.add(FaultRule.parse("out data delay 20ms nth=1"));
        handshakeAndData(2);
        assertThat(sent()).containsExactly(1000L, 2001L);
        clock.setNanos(clock.nanos() + 19_000_000L);
        link.runTimers();
        assertThat(sent()).isEmpty();
        clock.setNanos(clock.nanos() + 1_000_000L);
        assertThat(link.runTimers()).isEqualTo(1);
        assertThat(sent()).containsExactly(1001L);
        assertThat(stats.get(Counter.TcpExtFaultDelayed)).isEqualTo(1);
        assertThat(events.get(0).text()).startsWith("rule 1 delayed by 20ms: out P. seq=1001");
    }

    @Test
    void aReorderedSegmentIsHeldUntilTheNextOnesPassedOrItsMaximumHold() {
        link.add(FaultRule.parse("out data reorder by=2 nth=1"));
        handshakeAndData(3);
        assertThat(sent()).containsExactly(1000L, 2001L, 3001L, 1001L);
        link.add(FaultRule.parse("in data reorder by=5 max=10ms nth=1"));
        device.inject(0, in(40000, "P.", 1, 10));
        device.inject(0, in(40000, "P.", 11, 10));
        assertThat(inbound).containsExactly(11L);
        clock.setNanos(clock.nanos() + 10_000_000L);
        link.runTimers();
        assertThat(inbound).as("held no longer than max when nothing else comes").containsExactly(11L, 1L);
        assertThat(stats.get(Counter.TcpExtFaultReordered)).isEqualTo(2);
    }

    @Test
    void duplicatesArriveTwiceAndCorruptionFailsTheChecksum() {
        link.add(FaultRule.parse("in data duplicate"));
        device.inject(0, in(40000, "P.", 7, 10));
        assertThat(inbound).containsExactly(7L, 7L);
        assertThat(stats.get(Counter.TcpExtFaultDuplicated)).isEqualTo(1);

        link.add(FaultRule.parse("out data corrupt seed=5"));
        link.send(0, out("P.", 1, 100));
        CaptureLink.Sent corrupted = device.poll();
        ByteBuf packet = Unpooled.wrappedBuffer(corrupted.packet());
        TcpView tcp = new TcpView().wrap(packet, 20, packet.readableBytes() - 20);
        assertThat(tcp.checksumValid(PacketHarness.STACK, PacketHarness.PEER)).isFalse();
        assertThat(stats.get(Counter.TcpExtFaultCorrupted)).isEqualTo(1);
        assertThat(events).last().extracting(TraceEvent::text).asString().startsWith("rule 2 corrupted at byte ");
    }

    @Test
    void packetsThatAreNotTcpPassWhateverTheRules() {
        link.add(FaultRule.parse("both any drop"));
        device.inject(0, Unpooled.wrappedBuffer(new byte[] {0x45, 0}));
        assertThat(inbound).containsExactly(-1L);
    }
}
