package io.tcpstack.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Addresses of both families as one 128-bit value: the text forms of RFC 4291 in, RFC 5952 out. */
class IpAddressTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "2001:2::2, 2001:2::2",
        "2001:0002:0000:0000:0000:0000:0000:0002, 2001:2::2",
        "::, ::",
        "::1, ::1",
        "1::, 1::",
        "FF02::1:FF00:2, ff02::1:ff00:2",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:db8::0:1, 2001:db8::1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "::ffff:198.18.0.1, 198.18.0.1",
        "198.18.0.2, 198.18.0.2",
        "64:ff9b::198.18.0.1, 64:ff9b::c612:1",
    })
    void parses_and_writes_the_canonical_form(String text, String canonical) {
        assertThat(IpAddress.parse(text).toString()).isEqualTo(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2001::2::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::", ":1", "1:",
        "::1.2.3", "198.18.0", ""})
    void refuses_what_is_not_an_address(String text) {
        assertThatThrownBy(() -> IpAddress.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an IP");
    }

    @Test
    void ipv4_is_held_ipv4_mapped_and_tells_its_family() {
        IpAddress a = IpAddress.parse("198.18.0.1");
        assertThat(a.isV4()).isTrue();
        assertThat(a.v4()).isEqualTo(Ipv4Address.parse("198.18.0.1"));
        assertThat(a).isEqualTo(IpAddress.v4(Ipv4Address.parse("198.18.0.1")));
        assertThat(a.hi()).isZero();
        assertThat(a.lo()).isEqualTo(IpAddress.v4Lo(a.v4()));
        assertThat(IpAddress.parse("2001:2::1").isV4()).isFalse();
        assertThatThrownBy(() -> IpAddress.parse("2001:2::1").v4()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void endpoints_are_written_as_ss_writes_them() {
        assertThat(IpAddress.parse("2001:2::2").withPort(80)).isEqualTo("[2001:2::2]:80");
        assertThat(IpAddress.parse("198.18.0.2").withPort(80)).isEqualTo("198.18.0.2:80");
    }

    @Test
    void reads_and_writes_network_order() {
        IpAddress a = IpAddress.parse("2001:2::1:2");
        byte[] b = new byte[16];
        a.write(Unpooled.wrappedBuffer(b).writerIndex(0), 0);
        assertThat(b[0]).isEqualTo((byte) 0x20);
        assertThat(b[15]).isEqualTo((byte) 2);
        assertThat(IpAddress.read(Unpooled.wrappedBuffer(b), 0)).isEqualTo(a);
    }
}
