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

    /** Direct buffers take the native 32-bit path: same result as the word-by-word sum, any offset, length, initial. */
    @Test
    void native_path_on_direct_buffers_agrees_with_the_word_sum() {
        SplittableRandom random = new SplittableRandom(3);
        byte[] data = new byte[70_000];
        random.nextBytes(data);
        ByteBuf direct = Unpooled.directBuffer(data.length).writeBytes(data);
        assertThat(direct.hasMemoryAddress()).isTrue();
        for (int round = 0; round < 300; round++) {
            int offset = random.nextInt(64);
            int length = round == 0 ? 65_535 : random.nextInt(3000);
            long initial = random.nextInt(1 << 20);
            long words = initial;
            for (int i = 0; i + 1 < length; i += 2) {
                words += ((data[offset + i] & 0xff) << 8) | (data[offset + i + 1] & 0xff);
            }
            if (length % 2 == 1) {
                words += (data[offset + length - 1] & 0xff) << 8;
            }
            assertThat(Checksum.fold(Checksum.sum(direct, offset, length, initial))).as("offset %d length %d", offset, length)
                    .isEqualTo(Checksum.fold(words));
        }
        direct.release();
    }
}
