package io.tcpstack.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChecksumTest {

    /** RFC 1071 section 3's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d. */
    @Test
    void rfc1071_example() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7});
        assertThat(Checksum.compute(b, 0, 8)).isEqualTo(0x220d);
    }

    @Test
    void odd_length_pads_with_zero() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {0x01, 0x02, 0x03});
        assertThat(Checksum.compute(b, 0, 3)).isEqualTo(~(0x0102 + 0x0300) & 0xffff);
    }

    @Test
    void incremental_update_matches_recomputation() {
        SplittableRandom random = new SplittableRandom(1);
        for (int round = 0; round < 1000; round++) {
            byte[] data = new byte[2 + random.nextInt(200) * 2];
            random.nextBytes(data);
            ByteBuf b = Unpooled.wrappedBuffer(data);
            int before = Checksum.compute(b, 0, data.length);
            int field = random.nextInt(data.length / 2) * 2;
            int oldValue = b.getUnsignedShort(field);
            int newValue = random.nextInt(0x10000);
            b.setShort(field, newValue);
            int recomputed = Checksum.compute(b, 0, data.length);
            int incremental = Checksum.update(before, oldValue, newValue);
            // RFC 1624: equal up to the two representations of zero
            assertThat(incremental == recomputed || (incremental ^ recomputed) == 0xffff).isTrue();
        }
    }

    @Test
    void long_and_short_paths_agree() {
        byte[] data = new byte[1501];
        new SplittableRandom(2).nextBytes(data);
        ByteBuf b = Unpooled.wrappedBuffer(data);
        long slow = 0;
        for (int i = 0; i + 1 < data.length; i += 2) {
            slow += ((data[i] & 0xff) << 8) | (data[i + 1] & 0xff);
        }
        slow += (data[data.length - 1] & 0xff) << 8;
        assertThat(Checksum.compute(b, 0, data.length)).isEqualTo(Checksum.fold(slow));
        assertThat(Checksum.compute(b, 3, 1000)).isEqualTo(Checksum.fold(Checksum.sum(Unpooled.wrappedBuffer(java.util.Arrays.copyOfRange(data, 3, 1003)), 0, 1000, 0)));
    }
}
