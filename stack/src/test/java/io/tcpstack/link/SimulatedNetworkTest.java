package io.tcpstack.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.time.TimerDriven;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The simulated network alone, with plain receivers instead of stacks: delivery time and order,
 * routing, each impairment, scripted drops, repeatability per seed, buffer ownership, and how it
 * moves virtual time for timers.
 */
class SimulatedNetworkTest {
    private static final String A = "198.18.0.1";
    private static final String B = "198.18.0.2";
    private static final String C = "198.18.0.3";
    private static final long MS = 1_000_000L;

    private final List<ByteBuf> sentBuffers = new ArrayList<>();
    private SimulatedNetwork net;

    /** A packet as a receiver saw it: when, on which queue, which test packet (its TCP seq). */
    private record Arrival(long atNanos, int queue, int seq, byte[] bytes) {
    }

    private SimulatedNetwork network(long seed) {
        net = new SimulatedNetwork(seed);
        return net;
    }

    @AfterEach
    void close() {
        if (net != null) {
            net.close();
        }
        assertThat(sentBuffers).as("every buffer handed to the network was released")
                .allMatch(b -> b.refCnt() == 0);
    }

    private List<Arrival> receiver(SimulatedEndpoint endpoint) {
        List<Arrival> arrivals = new ArrayList<>();
        endpoint.start((queue, packet) -> {
            assertThat(packet.refCnt()).as("the packet is alive during the call").isPositive();
            arrivals.add(new Arrival(net.clock().nanos(), queue, TcpSegment.parse(packet).seq(),
                    ByteBufUtil.getBytes(packet)));
        });
        return arrivals;
    }

    /** A TCP packet from {@code from} to {@code to} labelled by its sequence number. */
    private ByteBuf packet(String from, String to, int seq) {
        ByteBuf buf = new TcpSegment(Ipv4Address.parse(from), Ipv4Address.parse(to), 40000, 80, seq, 0,
                TcpView.ACK, 1000, TcpSegment.Options.NONE, new byte[] {(byte) seq})
                .emit(UnpooledByteBufAllocator.DEFAULT);
        sentBuffers.add(buf);
        return buf;
    }

    private void send(SimulatedEndpoint from, String to, int... seqs) {
        for (int seq : seqs) {
            from.send(0, packet(Ipv4Address.format(from.address()), to, seq));
        }
    }

    private static int[] range(int n) {
        return IntStream.range(0, n).toArray();
    }

    private static List<Integer> seqs(List<Arrival> arrivals) {
        return arrivals.stream().map(Arrival::seq).toList();
    }

    @Test
    void packets_arrive_after_the_latency_in_sending_order() {
        network(1).impair(Impairment.NONE.withLatency(Duration.ofMillis(10)));
        SimulatedEndpoint a = net.endpoint(A);
        List<Arrival> atB = receiver(net.endpoint(B));
        long start = net.clock().nanos();
        send(a, B, 1, 2, 3, 4, 5);
        net.runFor(Duration.ofMillis(9));
        assertThat(atB).isEmpty();
        assertThat(net.inFlight()).isEqualTo(5);
        net.runFor(Duration.ofMillis(1));
        assertThat(seqs(atB)).containsExactly(1, 2, 3, 4, 5);
        assertThat(atB).allMatch(x -> x.atNanos() == start + 10 * MS && x.queue() == 0);
        assertThat(net.delivered()).isEqualTo(5);
        assertThat(net.sent()).isEqualTo(5);
        assertThat(net.clock().nanos()).isEqualTo(start + 10 * MS);
    }

    @Test
    void packets_go_to_the_endpoint_of_their_destination_address() {
        network(1);
        SimulatedEndpoint a = net.endpoint(A);
        List<Arrival> atB = receiver(net.endpoint(B));
        List<Arrival> atC = receiver(net.endpoint(C));
        send(a, C, 1);
        send(a, B, 2);
        send(a, "198.18.0.99", 3);
        net.runForMillis(1);
        assertThat(seqs(atB)).containsExactly(2);
        assertThat(seqs(atC)).containsExactly(1);
        assertThat(net.unroutable()).isEqualTo(1);
        assertThat(net.dropped()).isEqualTo(1);
        assertThatThrownBy(() -> net.endpoint(B)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void a_closed_or_unstarted_endpoint_receives_nothing() {
        network(1).impair(Impairment.NONE.withLatency(Duration.ofMillis(1)));
        SimulatedEndpoint a = net.endpoint(A);
        SimulatedEndpoint b = net.endpoint(B);
        net.endpoint(C);
        List<Arrival> atB = receiver(b);
        send(a, B, 1);
        send(a, C, 2);
        b.close();
        net.runForMillis(2);
        assertThat(atB).isEmpty();
        assertThat(net.unroutable()).isEqualTo(2);
    }

    @Test
    void loss_is_random_at_about_the_rate_and_the_same_for_the_same_seed() {
        List<Integer> first = survivors(11, 0.1);
        assertThat(first.size()).isBetween(850, 950);
        assertThat(net.lost()).isEqualTo(1000 - first.size());
        assertThat(survivors(11, 0.1)).isEqualTo(first);
        assertThat(survivors(12, 0.1)).isNotEqualTo(first);
    }

    private List<Integer> survivors(long seed, double loss) {
        if (net != null) {
            net.close();
        }
        network(seed).impair(Impairment.NONE.withLoss(loss));
        SimulatedEndpoint a = net.endpoint(A);
        List<Arrival> atB = receiver(net.endpoint(B));
        send(a, B, range(1000));
        net.runForMillis(1);
        return seqs(atB);
    }

    @Test
    void a_duplicate_is_an_identical_second_delivery() {
        network(3).impair(Impairment.NONE.withDuplication(0.25));
        SimulatedEndpoint a = net.endpoint(A);
        List<Arrival> atB = receiver(net.endpoint(B));
        send(a, B, range(400));
        net.runForMillis(1);
        assertThat(net.duplicated()).isBetween(60L, 140L);
        assertThat(net.delivered()).isEqualTo(400 + net.duplicated());
        TreeMap<Integer, List<Arrival>> bySeq = new TreeMap<>();
        atB.forEach(x -> bySeq.computeIfAbsent(x.seq(), k -> new ArrayList<>()).add(x));
        assertThat(bySeq).hasSize(400);
        assertThat(bySeq.values().stream().filter(l -> l.size() == 2).count()).isEqualTo(net.duplicated());
        bySeq.values().stream().filter(l -> l.size() == 2)
                .forEach(l -> assertThat(l.get(1).bytes()).isEqualTo(l.get(0).bytes()));
    }

    @Test
    void reordering_lets_later_packets_overtake_and_repeats_for_the_same_seed() {
        List<Integer> first = reordered(5);
        assertThat(first).containsExactlyInAnyOrderElementsOf(IntStream.range(0, 200).boxed().toList());
        assertThat(first).isNotEqualTo(first.stream().sorted().toList());
        assertThat(reordered(5)).isEqualTo(first);
        assertThat(reordered(6)).isNotEqualTo(first);
    }

    /** 200 packets 1 ms apart, a third of them held back up to 5 ms. */
    private List<Integer> reordered(long seed) {
        if (net != null) {
            net.close();
        }
        network(seed).impair(Impairment.NONE.withLatency(Duration.ofMillis(2)).withReorder(0.3, Duration.ofMillis(5)));
        SimulatedEndpoint a = net.endpoint(A);
        List<Arrival> atB = receiver(net.endpoint(B));
        for (int i = 0; i < 200; i++) {
            send(a, B, i);
            net.runForMillis(1);
        }
        net.runForMillis(10);
        assertThat(atB).isSortedAccordingTo(Comparator.comparingLong(Arrival::atNanos));
        return seqs(atB);
    }

    @Test
    void an_impairment_of_one_direction_leaves_the_other_alone() {
        network(1).impair(A, B, Impairment.NONE.withLoss(1.0));
        SimulatedEndpoint a = net.endpoint(A);
        SimulatedEndpoint b = net.endpoint(B);
        List<Arrival> atA = receiver(a);
        List<Arrival> atB = receiver(b);
        send(a, B, range(10));
        send(b, A, range(10));
        net.runForMillis(1);
        assertThat(atB).isEmpty();
        assertThat(atA).hasSize(10);
        assertThat(net.lost()).isEqualTo(10);
    }

    @Test
    void scripted_rules_drop_exactly_the_packets_they_name() {
        network(1);
        SimulatedEndpoint a = net.endpoint(A);
        List<Arrival> atB = receiver(net.endpoint(B));
        ScriptedRule thirdEven = net.dropNth(3, seg -> seg.seq() % 2 == 0);
        ScriptedRule sevens = net.dropIf(seg -> seg.seq() == 7);
        send(a, B, 0, 1, 2, 3, 4, 5, 6, 7, 7);
        net.runForMillis(1);
        assertThat(seqs(atB)).containsExactly(0, 1, 2, 3, 5, 6);
        assertThat(thirdEven.matched()).isEqualTo(4);
        assertThat(thirdEven.dropped()).isEqualTo(1);
        assertThat(sevens.dropped()).isEqualTo(2);
        assertThat(net.droppedByRule()).isEqualTo(3);
        sevens.remove();
        send(a, B, 7);
        net.runForMillis(1);
        assertThat(seqs(atB)).endsWith(7);
    }

    @Test
    void what_a_receiver_sends_while_receiving_is_queued_not_delivered_inside_the_call() {
        network(1);
        SimulatedEndpoint a = net.endpoint(A);
        SimulatedEndpoint b = net.endpoint(B);
        List<String> log = new ArrayList<>();
        int[] depth = {0};
        a.start((queue, packet) -> log.add("A got " + TcpSegment.parse(packet).seq()));
        b.start((queue, packet) -> {
            depth[0]++;
            int seq = TcpSegment.parse(packet).seq();
            log.add("B got " + seq);
            b.send(0, packet(B, A, seq + 100));
            log.add("B answered " + seq);
            assertThat(depth[0]).isEqualTo(1);
            depth[0]--;
        });
        send(a, B, 1, 2);
        net.runForMillis(1);
        assertThat(log).containsExactly("B got 1", "B answered 1", "B got 2", "B answered 2", "A got 101", "A got 102");
    }

    @Test
    void close_releases_the_packets_still_in_flight() {
        network(1).impair(Impairment.NONE.withLatency(Duration.ofSeconds(1)));
        SimulatedEndpoint a = net.endpoint(A);
        receiver(net.endpoint(B));
        send(a, B, range(5));
        assertThat(net.inFlight()).isEqualTo(5);
        net.close();
        assertThat(sentBuffers).allMatch(x -> x.refCnt() == 0);
        send(a, B, 6);
        assertThat(net.sent()).as("a closed endpoint sends nothing").isEqualTo(5);
    }

    @Test
    void multi_queue_endpoints_receive_each_flow_on_one_queue() {
        network(1);
        SimulatedEndpoint a = net.endpoint(A);
        List<Arrival> atB = receiver(net.endpoint(Ipv4Address.parse(B), 4, SimulatedNetwork.DEFAULT_MTU));
        send(a, B, range(20));
        net.runForMillis(1);
        assertThat(atB).hasSize(20);
        assertThat(atB.stream().map(Arrival::queue).distinct().toList()).hasSize(1)
                .allMatch(q -> q >= 0 && q < 4);
    }

    @Test
    void steered_by_sending_cpu_each_packet_arrives_on_the_queue_it_was_sent_from() {
        network(1);
        SimulatedEndpoint a = net.endpoint(A);
        SimulatedEndpoint b = net.endpoint(Ipv4Address.parse(B), 2, SimulatedNetwork.DEFAULT_MTU);
        b.steer(Steering.SENDING_CPU);
        List<Arrival> atB = receiver(b);
        for (int seq = 0; seq < 6; seq++) {
            a.send(seq % 3, packet(A, B, seq)); // sent from contexts 0, 1, 2, 0, 1, 2
        }
        net.runForMillis(1);
        assertThat(atB).extracting(Arrival::queue).containsExactly(0, 1, 0, 0, 1, 0);
        assertThat(b.steering()).isEqualTo("by the sender's context");
    }

    /** Timers at fixed deadlines, like a stack whose next timers are known. */
    private static final class FakeTimers implements TimerDriven {
        final TreeMap<Long, String> deadlines = new TreeMap<>();
        final List<String> fired = new ArrayList<>();
        private final SimulatedNetwork net;

        FakeTimers(SimulatedNetwork net) {
            this.net = net;
        }

        @Override
        public int runTimers() {
            int n = 0;
            while (!deadlines.isEmpty() && deadlines.firstKey() <= net.clock().nanos()) {
                fired.add(deadlines.pollFirstEntry().getValue() + "@" + net.clock().millis());
                n++;
            }
            return n;
        }

        @Override
        public long nextTimerNanos() {
            return deadlines.isEmpty() ? Long.MAX_VALUE : deadlines.firstKey();
        }
    }

    @Test
    void time_jumps_from_event_to_event_and_timers_run_on_their_deadlines() {
        network(1).impair(Impairment.NONE.withLatency(Duration.ofMillis(30)));
        long t0 = net.clock().nanos();
        long t0ms = net.clock().millis();
        FakeTimers timers = new FakeTimers(net);
        net.attach(timers);
        timers.deadlines.put(t0 + 20 * MS, "rto");
        timers.deadlines.put(t0 + 50 * MS, "delack");
        SimulatedEndpoint a = net.endpoint(A);
        List<Arrival> atB = receiver(net.endpoint(B));
        send(a, B, 1);
        assertThat(net.nextEventNanos()).isEqualTo(t0 + 20 * MS);

        assertThat(net.runUntil(() -> !atB.isEmpty(), 1_000)).isTrue();
        assertThat(net.clock().nanos()).isEqualTo(t0 + 30 * MS);
        assertThat(timers.fired).containsExactly("rto@" + (t0ms + 20));

        assertThat(net.runUntil(() -> false, 100)).isFalse();
        assertThat(net.clock().nanos()).as("ends at the limit").isEqualTo(t0 + 130 * MS);
        assertThat(timers.fired).containsExactly("rto@" + (t0ms + 20), "delack@" + (t0ms + 50));
        assertThat(net.step()).as("nothing left").isFalse();
    }
}
