package io.tcpstack.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.time.VirtualClock;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sequence arithmetic, SipHash, RFC 6528 ISNs, RFC 6056 ports. */
class SeqAndIdsTest {

    @Test
    void sequence_comparisons_wrap() {
        assertThat(SeqNum.lt(0xfffffff0, 0x10)).isTrue();
        assertThat(SeqNum.gt(0x10, 0xfffffff0)).isTrue();
        assertThat(SeqNum.between(5, 0xfffffffe, 10)).isTrue();
        assertThat(SeqNum.between(11, 0xfffffffe, 10)).isFalse();
        assertThat(SeqNum.max(0xfffffff0, 3)).isEqualTo(3);
    }

    /** The SipHash paper's reference: key 00..0f, message 00..0f -> 3f2acc7f57c29bdb (little-endian words). */
    @Test
    void siphash_reference_vector() {
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        long m0 = 0x0706050403020100L;
        long m1 = 0x0f0e0d0c0b0a0908L;
        assertThat(new SipHash(k0, k1).hash(m0, m1)).isEqualTo(0x3f2acc7f57c29bdbL);
    }

    @Test
    void isn_is_keyed_per_tuple_and_ticks_every_64_ns() {
        VirtualClock clock = new VirtualClock();
        IsnGenerator isn = new IsnGenerator(clock, new Random(1));
        int a = isn.isn(1, 80, 2, 40000);
        assertThat(isn.isn(1, 80, 2, 40000)).isEqualTo(a);
        assertThat(isn.isn(1, 80, 2, 40001)).isNotEqualTo(a);
        clock.advanceNanos(64 * 1000);
        assertThat(isn.isn(1, 80, 2, 40000) - a).isEqualTo(1000);
        assertThat(isn.tsOffset(1, 2, 80, 40000)).isNotEqualTo(isn.tsOffset(1, 2, 80, 40001));
        assertThat(isn.tsOffsetPerHost(1, 2)).isEqualTo(isn.tsOffsetPerHost(1, 2));
    }

    @Test
    void ephemeral_ports_cover_a_small_range_and_walk_it() {
        EphemeralPorts ports = new EphemeralPorts(new java.util.SplittableRandom(1));
        ports.setRange(40000, 40009);
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            int p = ports.select(1, 2, 80, port -> !used.contains(port));
            assertThat(p).isBetween(40000, 40009);
            used.add(p);
        }
        assertThat(used).hasSize(10);
        assertThat(ports.select(1, 2, 80, port -> !used.contains(port))).isEqualTo(-1);
    }

    @Test
    void successive_connects_to_one_destination_get_different_ports() {
        EphemeralPorts ports = new EphemeralPorts(new java.util.SplittableRandom(1));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            seen.add(ports.select(1, 2, 80, port -> true));
        }
        assertThat(seen.size()).isGreaterThan(90);
    }

    @Test
    void a_single_port_range_works_and_bad_ranges_are_refused() {
        EphemeralPorts ports = new EphemeralPorts(new java.util.SplittableRandom(1));
        ports.setRange(50000, 50000);
        assertThat(ports.select(1, 2, 80, port -> true)).isEqualTo(50000);
        assertThatThrownBy(() -> ports.setRange(0, 10)).hasMessageContaining("1-65535");
        assertThatThrownBy(() -> ports.setRange(60000, 50000)).hasMessageContaining("low <= high");
    }
}
