package io.tcpstack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RttEstimatorTest {
    private final RttEstimator rtt = new RttEstimator(200_000, 120_000_000);

    @Test
    void initial_rto_is_one_second() {
        assertThat(rtt.rtoMicros()).isEqualTo(1_000_000);
    }

    @Test
    void first_sample_r_gives_r_plus_max_2r_and_rto_min() {
        rtt.sample(100_000);
        assertThat(rtt.srttMicros()).isEqualTo(100_000);
        assertThat(rtt.rttVarMicros()).isEqualTo(50_000);
        assertThat(rtt.rtoMicros()).isEqualTo(300_000);
    }

    @Test
    void small_rtts_are_floored_by_rto_min() {
        rtt.sample(10_000);
        assertThat(rtt.rtoMicros()).isEqualTo(210_000);
    }

    @Test
    void later_samples_use_alpha_and_beta() {
        rtt.sample(100_000);
        rtt.sample(200_000);
        // rttvar = 3/4 * 50000 + 1/4 * |100000 - 200000| = 62500; srtt = 7/8 * 100000 + 1/8 * 200000 = 112500
        assertThat(rtt.rttVarMicros()).isEqualTo(62_500);
        assertThat(rtt.srttMicros()).isEqualTo(112_500);
        // 362.5 ms, in whole jiffies rounded up (Linux __tcp_set_rto, HZ=1000)
        assertThat(rtt.rtoMicros()).isEqualTo(363_000);
    }

    @Test
    void a_fast_path_gives_the_201_ms_ss_shows() {
        rtt.sample(50); // 50 us, as over a TUN device or loopback
        assertThat(rtt.rtoMicros()).isEqualTo(201_000);
    }

    @Test
    void backoff_doubles_up_to_rto_max_and_a_sample_resets_it() {
        for (int i = 0; i < 10; i++) {
            rtt.backoff();
        }
        assertThat(rtt.rtoMicros()).isEqualTo(120_000_000);
        assertThat(rtt.baseRtoMicros()).isEqualTo(1_000_000);
        rtt.sample(100_000);
        assertThat(rtt.backoffCount()).isZero();
    }

    @Test
    void fallback_after_a_handshake_without_sample_is_three_seconds() {
        rtt.fallback();
        assertThat(rtt.rtoMicros()).isEqualTo(3_000_000);
    }
}
