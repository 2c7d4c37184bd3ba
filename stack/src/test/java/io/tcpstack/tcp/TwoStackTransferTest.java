package io.tcpstack.tcp;

import static io.tcpstack.testing.TwoStacks.assertSameBytes;
import static io.tcpstack.testing.TwoStacks.listedState;
import static io.tcpstack.testing.TwoStacks.pattern;
import static io.tcpstack.testing.TwoStacks.stat;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.TcpStack;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.link.Impairment;
import io.tcpstack.link.ScriptedRule;
import io.tcpstack.link.SimulatedNetwork;
import io.tcpstack.link.SimulatedNetwork.PacketEvent;
import io.tcpstack.profile.CongestionAlgorithm;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.testing.TwoStacks;
import io.tcpstack.testing.TwoStacks.App;
import io.tcpstack.testing.TwoStacks.App.Finish;
import io.tcpstack.wire.TcpSegment;
import io.tcpstack.wire.TcpView;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two stacks talking over a {@link io.tcpstack.link.SimulatedNetwork} on virtual time: bulk
 * transfers on a clean path, under random loss, reordering and duplication, and scripted losses
 * whose recovery (fast retransmit or RTO) is checked exactly.
 */
class TwoStackTransferTest {
    private static final int MIB = 1 << 20;
    private static final Impairment FIVE_MS = Impairment.NONE.withLatency(Duration.ofMillis(5));

    private TwoStacks s;

    @AfterEach
    void close() {
        if (s != null) {
            s.close();
        }
    }

    /** Settings with congestion control {@code cc} (the rest Linux's defaults). */
    private static TcpSettings both(CongestionAlgorithm cc) {
        TcpSettings settings = new TcpSettings();
        settings.congestionControl = cc;
        return settings;
    }

    /** Client sends {@code data} and closes; the server reads to end of stream and closes. */
    private Result upload(byte[] data, long maxVirtualMillis) throws IOException {
        TwoStacks.Pair c = s.connect(10_000);
        long start = s.nowMillis();
        App sender = new App(c.client(), data, Finish.CLOSE_WHEN_SENT);
        App receiver = new App(c.server(), new byte[0], Finish.AFTER_PEER);
        boolean done = s.net.runUntil(() -> sender.pump() & receiver.pump()
                && c.server().state() == TcpState.CLOSED, maxVirtualMillis);
        assertThat(done).as("transfer and close within %d virtual ms", maxVirtualMillis).isTrue();
        return new Result(c, receiver.received(), s.nowMillis() - start);
    }

    private record Result(TwoStacks.Pair c, byte[] received, long millis) {
    }

    @Test
    void one_mebibyte_on_a_clean_path_arrives_byte_exact_and_both_ends_close() throws IOException {
        s = new TwoStacks(1);
        s.net.impair(FIVE_MS);
        byte[] data = pattern(MIB, 42);
        Result r = upload(data, 10_000);

        assertSameBytes(data, r.received());
        // 10 ms RTT, slow start from 10 segments: a handful of round trips, far from any RTO
        assertThat(r.millis()).isBetween(50L, 500L);
        assertThat(stat(s.client, Counter.TcpRetransSegs)).isZero();
        assertThat(stat(s.server, Counter.TcpRetransSegs)).isZero();
        assertThat(s.net.dropped()).isZero();
        // the active closer waits in TIME_WAIT, the passive one is gone after LAST_ACK
        assertThat(listedState(s.client, r.c().client())).isEqualTo(TcpState.TIME_WAIT);
        assertThat(listedState(s.server, r.c().server())).isEqualTo(TcpState.CLOSED);
        assertThat(r.c().server().error()).isNull();
        s.net.runForMillis(60_000);
        assertThat(listedState(s.client, r.c().client())).isEqualTo(TcpState.CLOSED);
        assertThat(s.net.inFlight()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CongestionAlgorithm.class)
    void one_mebibyte_with_two_percent_random_loss_arrives_byte_exact_through_retransmissions(CongestionAlgorithm cc) throws IOException {
        s = new TwoStacks(2, both(cc), both(cc));
        s.net.impair(FIVE_MS.withLoss(0.02));
        byte[] data = pattern(MIB, 43);
        Result r = upload(data, 120_000);

        assertSameBytes(data, r.received());
        assertThat(s.net.lost()).isPositive();
        assertThat(stat(s.client, Counter.TcpRetransSegs)).isPositive();
        assertThat(stat(s.client, Counter.TcpExtTCPFastRetrans)).isPositive();
        assertThat(stat(s.server, Counter.TcpExtTCPOFOQueue)).isPositive();
        assertThat(r.c().client().error()).isNull();
        assertThat(r.c().server().error()).isNull();
    }

    @Test
    void the_same_seed_gives_byte_identical_pcaps_and_another_seed_does_not() throws IOException {
        byte[] first = lossyRun(7);
        byte[] second = lossyRun(7);
        assertThat(second).as("the pcap of a second run with seed 7").isEqualTo(first);
        assertThat(lossyRun(8)).isNotEqualTo(first);
    }

    /**
     * A short lossy upload; returns the pcap of every packet the network carried (their bytes,
     * sequence numbers and all, stamped with virtual time). The network's impairments and each
     * stack's secrets come from the seed.
     */
    private byte[] lossyRun(long seed) throws IOException {
        s = new TwoStacks(seed);
        s.net.impair(FIVE_MS.withLoss(0.05).withDuplication(0.02).withReorder(0.1, Duration.ofMillis(8)));
        java.io.ByteArrayOutputStream pcap = new java.io.ByteArrayOutputStream();
        io.tcpstack.link.PcapWriter writer = new io.tcpstack.link.PcapWriter(pcap, () -> s.net.clock().nanos() / 1000);
        s.net.addObserver((event, nanos, packet) -> {
            if (event == PacketEvent.SENT) {
                writer.write(packet);
            }
        });
        byte[] data = pattern(256 * 1024, seed);
        Result r = upload(data, 120_000);
        assertSameBytes(data, r.received());
        writer.close();
        s.close();
        s = null;
        return pcap.toByteArray();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CongestionAlgorithm.class)
    void reordering_and_duplication_still_deliver_byte_exact_through_the_out_of_order_queue(CongestionAlgorithm cc) throws IOException {
        s = new TwoStacks(3, both(cc), both(cc));
        s.net.impair(FIVE_MS.withReorder(0.05, Duration.ofMillis(3)).withDuplication(0.02));
        byte[] data = pattern(MIB, 44);
        Result r = upload(data, 120_000);

        assertSameBytes(data, r.received());
        assertThat(s.net.duplicated()).isPositive();
        assertThat(s.net.dropped()).isZero();
        assertThat(stat(s.server, Counter.TcpExtTCPOFOQueue)).isPositive();
        // duplicated data is recognised as old and answered with an immediate ACK
        assertThat(s.server.stats().get(DropReason.TCP_OLD_DATA)).isPositive();
    }

    /**
     * A deterministic permutation: every 7th data segment of the client is held 1 ms (the rest of
     * its burst overtakes it) and every 25th is duplicated. The receiver keeps everything out of
     * order (no drop but the duplicates), and reports each duplicate it gets with a D-SACK, which
     * lets the sender undo the one spurious recovery the first reordering causes and widen RACK's
     * window: later reordering costs no retransmission.
     */
    @Test
    void a_deterministic_reordering_permutation_loses_nothing_and_every_duplicate_is_dsacked() throws IOException {
        s = new TwoStacks(9);
        s.net.impair(FIVE_MS);
        int[] data = {0, 0};
        ScriptedRule late = s.net.delayIf(seg -> seg.src() == TwoStacks.CLIENT && seg.payloadLength() > 0
                && ++data[0] % 7 == 0, Duration.ofMillis(1));
        ScriptedRule twice = s.net.duplicateIf(seg -> seg.src() == TwoStacks.CLIENT && seg.payloadLength() > 0
                && ++data[1] % 25 == 0);
        byte[] bytes = pattern(MIB, 50);
        Result r = upload(bytes, 60_000);

        assertSameBytes(bytes, r.received());
        assertThat(late.acted()).isGreaterThan(80);
        assertThat(twice.acted()).isGreaterThan(25);
        // the receiver dropped nothing but the copies it already had
        java.util.Map<DropReason, Long> drops = new java.util.EnumMap<>(DropReason.class);
        s.server.stats().drops().forEach((reason, n) -> {
            if (n > 0) {
                drops.put(reason, n);
            }
        });
        assertThat(drops.keySet()).isSubsetOf(DropReason.TCP_OLD_DATA, DropReason.TCP_OLD_SEQUENCE);
        assertThat(stat(s.server, Counter.TcpExtTCPOFODrop)).isZero();
        assertThat(stat(s.server, Counter.TcpExtPAWSEstab)).isZero();
        // a D-SACK for each duplicate that reached it: the network's copies and our retransmissions
        long duplicates = s.net.duplicated() + stat(s.client, Counter.TcpRetransSegs);
        assertThat(stat(s.server, Counter.TcpExtTCPDSACKOldSent) + stat(s.server, Counter.TcpExtTCPDSACKOfoSent))
                .isEqualTo(duplicates);
        assertThat(stat(s.client, Counter.TcpExtTCPDSACKRecv) + stat(s.client, Counter.TcpExtTCPDSACKOfoRecv))
                .isEqualTo(duplicates);
        // the first late segment looked lost (three SACKs, no reordering seen yet); the ACK of the
        // original undid that recovery (its timestamp predates the retransmission: Eifel, Linux
        // tcp_try_undo_partial), and from then on RACK waits out the reordering
        assertThat(stat(s.client, Counter.TcpRetransSegs)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpExtTCPPartialUndo) + stat(s.client, Counter.TcpExtTCPFullUndo)
                + stat(s.client, Counter.TcpExtTCPDSACKUndo)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpExtTCPSACKReorder)).isGreaterThan(50);
        // the network's copies were never retransmitted: D-SACKs of them are not taken as undo evidence
        assertThat(stat(s.client, Counter.TcpExtTCPDSACKIgnoredDubious)).isPositive();
    }

    @Test
    void one_lost_data_segment_with_data_behind_it_is_fast_retransmitted_on_three_duplicate_acks()
            throws IOException {
        s = new TwoStacks(4);
        s.net.impair(FIVE_MS);
        List<TcpSegment> lost = new ArrayList<>();
        List<Sent> sent = new ArrayList<>();
        s.net.addObserver((event, nanos, packet) -> {
            if (event == PacketEvent.DROPPED) {
                lost.add(TcpSegment.parse(packet));
            } else if (event == PacketEvent.SENT) {
                sent.add(new Sent(nanos, TcpSegment.parse(packet)));
            }
        });
        ScriptedRule rule = s.net.dropNth(100, seg -> seg.src() == TwoStacks.CLIENT && seg.payloadLength() > 0);
        byte[] data = pattern(MIB, 45);
        Result r = upload(data, 10_000);

        assertSameBytes(data, r.received());
        assertThat(rule.dropped()).isEqualTo(1);
        int hole = lost.get(0).seq();
        long lostAt = sent.stream().filter(x -> x.seg().seq() == hole && x.seg().src() == TwoStacks.CLIENT)
                .findFirst().orElseThrow().nanos();
        List<Sent> resent = sent.stream().filter(x -> x.seg().src() == TwoStacks.CLIENT && x.seg().seq() == hole
                && x.seg().payloadLength() > 0).skip(1).toList();
        assertThat(resent).as("one retransmission of the hole").hasSize(1);
        // the receiver ACKs every segment above the hole at once: the first ACK up to the hole
        // and three duplicates of it come back within about one round trip, long before the
        // 200 ms minimum RTO
        long acksOfHoleBeforeResend = sent.stream().filter(x -> x.seg().src() == TwoStacks.SERVER
                && x.seg().ack() == hole && x.seg().payloadLength() == 0 && x.nanos() <= resent.get(0).nanos()).count();
        assertThat(acksOfHoleBeforeResend).isGreaterThanOrEqualTo(1 + 3);
        assertThat(resent.get(0).nanos() - lostAt).isLessThan(Duration.ofMillis(50).toNanos());
        assertThat(stat(s.client, Counter.TcpExtTCPFastRetrans)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpExtTCPTimeouts)).isZero();
        assertThat(stat(s.client, Counter.TcpRetransSegs)).isEqualTo(1);
        assertThat(stat(s.server, Counter.TcpExtTCPOFOQueue)).isPositive();
    }

    private record Sent(long nanos, TcpSegment seg) {
    }

    /**
     * Segments 100, 102 and 104 of a 1 MiB upload lost, with SACK on both ends or off: the
     * client's retransmissions, each with the cumulative ACK the server had sent last (what the
     * client knew when it retransmitted).
     */
    private Result threeLossesInOneWindow(boolean sack, List<Resent> resent) throws IOException {
        TcpSettings settings = new TcpSettings();
        settings.sack = sack;
        s = new TwoStacks(8, settings, settings);
        s.net.impair(FIVE_MS);
        int[] dataSegments = {0};
        s.net.dropIf(seg -> seg.src() == TwoStacks.CLIENT && seg.payloadLength() > 0
                && List.of(100, 102, 104).contains(++dataSegments[0]));
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        int[] lastServerAck = {0};
        s.net.addObserver((event, nanos, packet) -> {
            TcpSegment seg = TcpSegment.parse(packet);
            if (event != PacketEvent.SENT) {
                return;
            }
            if (seg.src() == TwoStacks.SERVER) {
                lastServerAck[0] = seg.ack();
            } else if (seg.payloadLength() > 0 && !seen.add(seg.seq())) {
                resent.add(new Resent(seg.seq(), lastServerAck[0]));
            }
        });
        return upload(pattern(MIB, 49), 10_000);
    }

    private record Resent(int seq, int serverAck) {
    }

    @Test
    void three_losses_in_one_window_are_repaired_in_one_sack_recovery_without_waiting_for_partial_acks()
            throws IOException {
        List<Resent> sack = new ArrayList<>();
        Result withSack = threeLossesInOneWindow(true, sack);
        assertThat(stat(s.client, Counter.TcpExtTCPSackRecovery)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpExtTCPRenoRecovery)).isZero();
        assertThat(stat(s.client, Counter.TcpExtTCPTimeouts)).isZero();
        assertThat(stat(s.client, Counter.TcpRetransSegs)).as("each lost segment once, nothing else").isEqualTo(3);
        assertThat(sack).hasSize(3);
        // RFC 6675 NextSeg: the scoreboard shows the later holes lost, so they go together, the
        // third before any cumulative ACK reached it (pipe, not a partial ACK, lets them go)
        assertThat(sack.get(2).serverAck()).isEqualTo(sack.get(1).serverAck()).isNotEqualTo(sack.get(2).seq());
        s.close();

        List<Resent> reno = new ArrayList<>();
        Result newReno = threeLossesInOneWindow(false, reno);
        assertThat(stat(s.client, Counter.TcpExtTCPRenoRecovery)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpExtTCPTimeouts)).isZero();
        // NewReno learns of each further hole from a partial ACK that stops at it: a round trip each
        assertThat(reno).hasSize(3).allMatch(r -> r.serverAck() == r.seq());
        // the same three holes (each stack draws its own ISN: compare offsets)
        assertThat(reno.stream().map(r -> r.seq() - reno.get(0).seq()).toList())
                .isEqualTo(sack.stream().map(r -> r.seq() - sack.get(0).seq()).toList());
        assertSameBytes(withSack.received(), newReno.received());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CongestionAlgorithm.class)
    void a_lost_fast_retransmission_is_detected_by_rack_and_sent_again_without_waiting_for_the_rto(CongestionAlgorithm cc) throws IOException {
        s = new TwoStacks(5, both(cc), both(cc));
        s.net.impair(FIVE_MS);
        long[] hole = {-1};
        s.net.addObserver((event, nanos, packet) -> {
            if (event == PacketEvent.DROPPED && hole[0] < 0) {
                hole[0] = Integer.toUnsignedLong(TcpSegment.parse(packet).seq());
            }
        });
        s.net.dropNth(100, seg -> seg.src() == TwoStacks.CLIENT && seg.payloadLength() > 0);
        ScriptedRule again = s.net.dropNth(1, seg -> seg.src() == TwoStacks.CLIENT
                && Integer.toUnsignedLong(seg.seq()) == hole[0] && seg.payloadLength() > 0);
        byte[] data = pattern(MIB, 46);
        Result r = upload(data, 10_000);

        assertSameBytes(data, r.received());
        assertThat(again.dropped()).isEqualTo(1);
        // RFC 8985: a segment sent after the retransmission was delivered and an RTT passed: the
        // retransmission is lost too, and goes again in the same recovery (Linux TCPLostRetransmit)
        assertThat(stat(s.client, Counter.TcpExtTCPLostRetransmit)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpExtTCPFastRetrans)).isEqualTo(2);
        assertThat(stat(s.client, Counter.TcpExtTCPSackRecovery)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpExtTCPTimeouts)).isZero();
        assertThat(stat(s.client, Counter.TcpRetransSegs)).isEqualTo(2);
    }

    /** Every segment handed to the network, with when. */
    private List<Sent> recordSent() {
        List<Sent> sent = new ArrayList<>();
        s.net.addObserver((event, nanos, packet) -> {
            if (event == PacketEvent.SENT) {
                sent.add(new Sent(nanos, TcpSegment.parse(packet)));
            }
        });
        return sent;
    }

    private static List<Sent> fins(List<Sent> sent, int from) {
        return sent.stream().filter(x -> x.seg().src() == from && x.seg().has(TcpView.FIN)).toList();
    }

    /**
     * The FIN from {@code from} went twice, at the same sequence number, the second time by the
     * tail loss probe (RFC 8985 7): nothing acknowledges a lost last segment, so only a timer
     * resends it, and the probe's timer is due first (Linux tcp_schedule_loss_probe: 2 SRTT plus
     * the minimum RTO for a single segment in flight, at most the RTO).
     */
    private static void assertFinResentOnceByTheLossProbe(List<Sent> sent, int from, TcpStack stack) {
        List<Sent> fins = fins(sent, from);
        assertThat(fins).hasSize(2);
        assertThat(fins.get(1).seg().seq()).isEqualTo(fins.get(0).seg().seq());
        assertThat(fins.get(1).nanos() - fins.get(0).nanos()).isGreaterThanOrEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(stat(stack, Counter.TcpExtTCPLossProbes)).isEqualTo(1);
        assertThat(stat(stack, Counter.TcpExtTCPTimeouts)).isZero();
        assertThat(stat(stack, Counter.TcpRetransSegs)).isEqualTo(1);
    }

    @Test
    void the_passive_closers_lost_fin_is_resent_by_the_tail_loss_probe() throws IOException {
        s = new TwoStacks(6);
        s.net.impair(FIVE_MS);
        List<Sent> sent = recordSent();
        ScriptedRule rule = s.net.dropNth(1, seg -> seg.src() == TwoStacks.SERVER && seg.has(TcpView.FIN));
        byte[] data = pattern(10_000, 47);
        Result r = upload(data, 10_000);

        assertSameBytes(data, r.received());
        assertThat(rule.dropped()).isEqualTo(1);
        assertFinResentOnceByTheLossProbe(sent, TwoStacks.SERVER, s.server);
        // the client's orphaned FIN_WAIT_2 record took the resent FIN and moved to TIME_WAIT
        assertThat(listedState(s.client, r.c().client())).isEqualTo(TcpState.TIME_WAIT);
        assertThat(r.c().server().error()).isNull();
    }

    @Test
    void the_active_closers_lost_fin_is_resent_by_the_tail_loss_probe() throws IOException {
        s = new TwoStacks(7);
        s.net.impair(FIVE_MS);
        List<Sent> sent = recordSent();
        ScriptedRule rule = s.net.dropNth(1, seg -> seg.src() == TwoStacks.CLIENT && seg.has(TcpView.FIN));
        // ten full segments (MSS 1460 less 12 bytes of timestamps) fill the initial window, so
        // the FIN that close() queues after them goes alone
        byte[] data = pattern(10 * 1448, 48);
        Result r = upload(data, 10_000);

        assertSameBytes(data, r.received());
        assertThat(rule.dropped()).isEqualTo(1);
        assertThat(fins(sent, TwoStacks.CLIENT).get(0).seg().payloadLength()).as("a bare FIN after the data").isZero();
        assertFinResentOnceByTheLossProbe(sent, TwoStacks.CLIENT, s.client);
        assertThat(listedState(s.client, r.c().client())).isEqualTo(TcpState.TIME_WAIT);
        assertThat(r.c().server().error()).isNull();
    }

    /** Both ends send at once, end their output when done, and close after end of stream. */
    private void exchange(byte[] fromClient, byte[] fromServer, long maxVirtualMillis) throws IOException {
        TwoStacks.Pair c = s.connect(10_000);
        App client = new App(c.client(), fromClient, Finish.SHUTDOWN_WHEN_SENT);
        App server = new App(c.server(), fromServer, Finish.SHUTDOWN_WHEN_SENT);
        boolean done = s.net.runUntil(() -> client.pump() & server.pump()
                && settled(listedState(s.client, c.client())) && settled(listedState(s.server, c.server())),
                maxVirtualMillis);
        assertThat(done).as("exchange and close within %d virtual ms", maxVirtualMillis).isTrue();
        assertSameBytes(fromClient, server.received());
        assertSameBytes(fromServer, client.received());
        assertThat(c.client().error()).isNull();
        assertThat(c.server().error()).isNull();
        // whoever closed first (or both, if the FINs crossed) waits in TIME_WAIT, then all is gone
        assertThat(List.of(listedState(s.client, c.client()), listedState(s.server, c.server())))
                .contains(TcpState.TIME_WAIT);
        s.net.runForMillis(60_000);
        assertThat(listedState(s.client, c.client())).isEqualTo(TcpState.CLOSED);
        assertThat(listedState(s.server, c.server())).isEqualTo(TcpState.CLOSED);
    }

    private static boolean settled(TcpState state) {
        return state == TcpState.TIME_WAIT || state == TcpState.CLOSED;
    }

    @Test
    void both_ends_send_a_mebibyte_at_once_and_both_streams_arrive_byte_exact() throws IOException {
        s = new TwoStacks(8);
        s.net.impair(FIVE_MS);
        exchange(pattern(MIB, 49), pattern(MIB, 50), 10_000);
        assertThat(stat(s.client, Counter.TcpRetransSegs) + stat(s.server, Counter.TcpRetransSegs)).isZero();
    }

    @Test
    void both_ends_send_at_once_through_loss_reordering_and_duplication() throws IOException {
        s = new TwoStacks(9);
        s.net.impair(FIVE_MS.withLoss(0.01).withReorder(0.02, Duration.ofMillis(3)).withDuplication(0.01));
        exchange(pattern(MIB, 51), pattern(MIB, 52), 120_000);
        assertThat(s.net.lost()).isPositive();
        assertThat(stat(s.client, Counter.TcpRetransSegs)).isPositive();
        assertThat(stat(s.server, Counter.TcpRetransSegs)).isPositive();
    }
}
