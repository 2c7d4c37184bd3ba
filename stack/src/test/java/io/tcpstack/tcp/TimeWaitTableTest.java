package io.tcpstack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.wire.IpAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TimeWaitTableTest {

    private static long key(int i) {
        return Demux.key(0xc6120000 | (i >>> 16), 1024 + (i & 0x7fff), 80);
    }

    private static int find(TimeWaitShard s, long key) {
        return s.find(key, 0, IpAddress.v4Lo((int) (key >>> 32)));
    }

    private static int insert(TimeWaitShard s, long key, long now, long expires) {
        return s.insert(key, 0, IpAddress.v4Lo((int) (key >>> 32)), 0, 1, 2, 3, (int) now, 4,
                TimeWaitTable.meta(true, true, 7, 1, 65535 << 7), now, expires);
    }

    @Test
    void metaPacksSubstateTimestampsScaleQueueAndWindow() {
        int meta = TimeWaitTable.meta(false, true, 7, 3, 1_000_000);
        assertThat(TimeWaitTable.isTimeWait(meta)).isFalse();
        assertThat(TimeWaitTable.tsOk(meta)).isTrue();
        assertThat(TimeWaitTable.rcvWscale(meta)).isEqualTo(7);
        assertThat(TimeWaitTable.queue(meta)).isEqualTo(3);
        assertThat(TimeWaitTable.rcvWnd(meta)).isEqualTo(1_000_000 >>> 7 << 7);
    }

    @Test
    void findsWhatWasInsertedAcrossGrowthAndForgetsWhatWasRemoved() {
        TimeWaitShard s = new TimeWaitTable(0).shard(0);
        List<Integer> slots = new ArrayList<>();
        for (int i = 1; i <= 5000; i++) {
            slots.add(insert(s, key(i), 0, 60_000));
        }
        assertThat(s.count()).isEqualTo(5000);
        for (int i = 1; i <= 5000; i++) {
            assertThat(find(s, key(i))).isEqualTo(slots.get(i - 1));
        }
        for (int i = 1; i <= 5000; i += 2) {
            s.remove(find(s, key(i)));
        }
        assertThat(s.count()).isEqualTo(2500);
        assertThat(find(s, key(1))).isEqualTo(-1);
        assertThat(find(s, key(2))).isEqualTo(slots.get(1));
        Set<Long> live = new HashSet<>();
        s.forEach(slot -> live.add(s.key(slot)));
        assertThat(live).hasSize(2500).contains(key(2)).doesNotContain(key(1));
    }

    /**
     * The index doubles a few chains per insert: every record stays findable and removable at
     * every step of a doubling (lookups, inserts and removals between the moves).
     */
    @Test
    void everyRecordStaysFindableWhileTheIndexDoublesStepByStep() {
        TimeWaitShard s = new TimeWaitTable(0).shard(0);
        Set<Integer> live = new HashSet<>();
        for (int i = 1; i <= 20_000; i++) {
            insert(s, key(i), 0, 60_000);
            live.add(i);
            if (i % 3 == 0) {
                s.remove(find(s, key(i - 1))); // a removal between the moves
                live.remove(i - 1);
            }
            if (i % 257 == 0 || Integer.bitCount(i) == 1 || Integer.bitCount(i - 64) == 1) {
                for (int k = 1; k <= i; k++) {
                    assertThat(find(s, key(k)) >= 0).as("record %d after %d inserts", k, i).isEqualTo(live.contains(k));
                }
            }
        }
        assertThat(s.count()).isEqualTo(live.size());
    }

    @Test
    void expiresEachRecordAtItsOwnMillisecondAndFollowsRestarts() {
        TimeWaitShard s = new TimeWaitTable(1_000).shard(0);
        insert(s, key(1), 1_000, 61_000);
        insert(s, key(2), 1_005, 61_005);
        int restarted = insert(s, key(3), 1_000, 61_000);
        s.reschedule(restarted, 91_000);
        assertThat(s.nextExpiryMs(1_000)).isEqualTo(61_000);
        List<Long> expired = new ArrayList<>();
        assertThat(s.sweep(60_999, slot -> expired.add(s.key(slot)))).isZero();
        assertThat(s.sweep(61_000, slot -> expired.add(s.key(slot)))).isEqualTo(1);
        assertThat(expired).containsExactly(key(1));
        assertThat(s.nextExpiryMs(61_000)).isEqualTo(61_005);
        s.sweep(61_005, slot -> expired.add(s.key(slot)));
        assertThat(s.nextExpiryMs(61_005)).as("the restarted record, moved along the wheel").isEqualTo(91_000);
        s.sweep(90_999, slot -> expired.add(s.key(slot)));
        assertThat(expired).containsExactly(key(1), key(2));
        s.sweep(91_000, slot -> expired.add(s.key(slot)));
        assertThat(expired).containsExactly(key(1), key(2), key(3));
        assertThat(s.count()).isZero();
        assertThat(s.nextExpiryMs(91_000)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void removedRecordsAreNotExpiredAndTheirSlotsComeBack() {
        TimeWaitShard s = new TimeWaitTable(0).shard(0);
        int a = insert(s, key(1), 0, 100);
        s.remove(a);
        List<Long> expired = new ArrayList<>();
        s.sweep(200, slot -> expired.add(s.key(slot)));
        assertThat(expired).isEmpty();
        assertThat(insert(s, key(2), 200, 300)).as("the swept slot is reused").isEqualTo(a);
    }

    @Test
    void recordsLongerThanOneRevolutionOfTheWheelStillExpireOnTime() {
        TimeWaitShard s = new TimeWaitTable(0).shard(0);
        insert(s, key(1), 0, 200_000);
        assertThat(s.sweep(100_000, slot -> { })).isZero();
        assertThat(s.sweep(199_999, slot -> { })).isZero();
        assertThat(s.nextExpiryMs(199_999)).isEqualTo(200_000);
        assertThat(s.sweep(200_000, slot -> { })).isEqualTo(1);
    }
}
