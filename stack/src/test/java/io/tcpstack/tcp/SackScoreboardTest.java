package io.tcpstack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The RFC 6675 scoreboard: ranges, IsLost, SetPipe, NextSeg. MSS 100 throughout. */
class SackScoreboardTest {
    private static final int MSS = 100;
    /** Near the wrap of the sequence space, so every comparison must be modular. */
    private static final int UNA = -250;
    private final SackScoreboard sb = new SackScoreboard();

    @Test
    void ranges_merge_clip_to_what_was_sent_and_ignore_dsack_below_una() {
        int max = UNA + 1000;
        sb.highRxt = UNA; // recovery starts with nothing retransmitted
        sb.add(UNA + 300, UNA + 400, UNA, max);
        sb.add(UNA + 500, UNA + 600, UNA, max);
        sb.add(UNA + 400, UNA + 450, UNA, max); // adjacent to the first: one range
        assertThat(sb.rangeCount()).isEqualTo(2);
        sb.add(UNA - 100, UNA, UNA, max); // D-SACK of old data
        sb.add(UNA + 900, UNA + 1200, UNA, max); // clipped at snd.max
        assertThat(sb.rangeCount()).isEqualTo(3);
        sb.add(UNA + 350, UNA + 950, UNA, max); // bridges them all
        assertThat(sb.rangeCount()).isEqualTo(1);
        // 300..1000 SACKed: the hole 0..300 is lost (700 bytes above > (DupThresh - 1) x MSS)
        assertThat(sb.isLost(UNA, MSS)).isTrue();
        assertThat(sb.pipe(UNA, max, MSS)).isZero();
    }

    @Test
    void a_hole_is_lost_only_below_more_than_two_segments_of_sacked_data() {
        int max = UNA + 1000;
        sb.add(UNA + 100, UNA + 300, UNA, max); // 2 segments above the first hole
        assertThat(sb.isLost(UNA, MSS)).isFalse();
        sb.add(UNA + 400, UNA + 401, UNA, max); // one byte more
        assertThat(sb.isLost(UNA, MSS)).isTrue();
        assertThat(sb.isLost(UNA + 300, MSS)).isFalse(); // only 1 byte above the second hole
    }

    @Test
    void pipe_counts_unsacked_bytes_not_lost_and_retransmissions_in_flight() {
        int max = UNA + 1000;
        sb.highRxt = UNA;
        sb.add(UNA + 100, UNA + 200, UNA, max);
        sb.add(UNA + 300, UNA + 400, UNA, max);
        sb.add(UNA + 500, UNA + 600, UNA, max);
        // holes: 0..100 lost (300 above), 200..300 not (200 above), 400..500 not, 600..1000 not
        assertThat(sb.pipe(UNA, max, MSS)).isEqualTo(100 + 100 + 400);
        assertThat(sb.nextLost(UNA, MSS)).isTrue();
        assertThat(sb.lostStart).isEqualTo(UNA);
        assertThat(sb.lostEnd).isEqualTo(UNA + 100);
        sb.highRxt = UNA + 100; // retransmitted: it counts again
        assertThat(sb.pipe(UNA, max, MSS)).isEqualTo(100 + 600);
        assertThat(sb.nextLost(UNA, MSS)).isFalse();
    }

    @Test
    void advance_forgets_what_snd_una_passed() {
        int max = UNA + 1000;
        sb.add(UNA + 100, UNA + 200, UNA, max);
        sb.add(UNA + 300, UNA + 500, UNA, max);
        sb.advance(UNA + 400);
        assertThat(sb.rangeCount()).isEqualTo(1);
        assertThat(sb.highRxt).isEqualTo(UNA + 400);
        sb.advance(UNA + 500);
        assertThat(sb.isEmpty()).isTrue();
    }

    @Test
    void with_no_room_left_a_new_separate_range_is_ignored_never_guessed() {
        int max = UNA + 100_000;
        for (int i = 0; i < SackScoreboard.MAX_RANGES; i++) {
            sb.add(UNA + 1000 * (i + 1), UNA + 1000 * (i + 1) + 10, UNA, max);
        }
        int pipeBefore = sb.pipe(UNA, max, MSS);
        sb.add(UNA + 50_000, UNA + 50_010, UNA, max);
        assertThat(sb.rangeCount()).isEqualTo(SackScoreboard.MAX_RANGES);
        assertThat(sb.pipe(UNA, max, MSS)).isEqualTo(pipeBefore);
        sb.add(UNA + 1010, UNA + 1020, UNA, max); // still merges with a neighbour
        assertThat(sb.pipe(UNA, max, MSS)).isLessThan(pipeBefore);
    }
}
