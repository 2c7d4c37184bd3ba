package io.tcpstack.drill;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.drill.Script.Option;
import io.tcpstack.drill.Script.Packet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The outbound comparison in script space, on packets built and parsed by {@link Wire}. */
class MatchTest {
    private static final long ISN = 0xfffffff0L;

    private static Packet expected(String line) throws Exception {
        return (Packet) ScriptParser.parse("t.pkt", "0 " + line).events().get(0).action();
    }

    private static Wire.Parsed live(int flags, long seq, long ack, int window, List<Option> options, int length,
            int tos) {
        return Wire.parse(Wire.tcp(Target.LOCAL, Target.REMOTE, tos, 8080, 45678, seq, ack, flags, window, 0, options,
                length));
    }

    @Test
    void sequence_numbers_are_relative_to_the_isn_and_wrap() throws Exception {
        Wire.Parsed l = live(Wire.ACK | Wire.PSH, ISN + 1 + 1000, 501, 502, List.of(), 100, 0);
        assertThat(Format.compare(expected("> P. 1001:1101(100) ack 501"), l, ISN)).isNull();
        assertThat(Format.compare(expected("> P. 1001:1101(100) ack 502"), l, ISN)).isEqualTo("ACK number");
        assertThat(Format.compare(expected("> P. 1000:1100(100) ack 501"), l, ISN)).isEqualTo("sequence number");
        assertThat(Format.compare(expected("> . 1001:1101(100) ack 501"), l, ISN)).isEqualTo("TCP flags");
        assertThat(Format.compare(expected("> P. 1001:1101(100) ack 501 win 501"), l, ISN)).isEqualTo("window");
        assertThat(Format.live(l, ISN)).isEqualTo("> P. 1001:1101(100) ack 501 win 502");
    }

    @Test
    void options_in_order_with_values_but_not_timestamp_values() throws Exception {
        List<Option> opts = List.of(new Option("mss", 1460, 0, null), Option.of("sackOK"),
                new Option("TS", 123456, 99, null), Option.of("nop"), new Option("wscale", 7, 0, null));
        Wire.Parsed l = live(Wire.SYN | Wire.ACK, ISN, 1, 65535, opts, 0, 0);
        assertThat(Format.compare(expected("> S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>"), l,
                ISN)).isNull();
        assertThat(Format.compare(expected("> S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>"), l,
                ISN)).isEqualTo("TCP option wscale");
        assertThat(Format.compare(expected("> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>"), l, ISN))
                .startsWith("TCP option");
        assertThat(Format.compare(expected("> S. 0:0(0) ack 1 <...>"), l, ISN)).isNull();
        assertThat(Format.compare(expected("> S. 0:0(0) ack 1"), l, ISN)).isEqualTo("TCP options");
    }

    @Test
    void ecn_field_is_checked_only_when_the_script_names_it() throws Exception {
        Wire.Parsed ect0 = live(Wire.ACK | Wire.PSH, ISN + 1, 1, 100, List.of(), 10, 2);
        assertThat(Format.compare(expected("> P. 1:11(10) ack 1"), ect0, ISN)).isNull();
        assertThat(Format.compare(expected("> [ect0] P. 1:11(10) ack 1"), ect0, ISN)).isNull();
        assertThat(Format.compare(expected("> [ect01] P. 1:11(10) ack 1"), ect0, ISN)).isNull();
        assertThat(Format.compare(expected("> [noecn] P. 1:11(10) ack 1"), ect0, ISN)).isEqualTo("IP ECN field");
        assertThat(Format.live(ect0, ISN)).startsWith("> [ect0] P.");
    }

    @Test
    void udp_and_icmp() throws Exception {
        Wire.Parsed udp = Wire.parse(Wire.udp(Target.LOCAL, Target.REMOTE, 1, 2, 10));
        assertThat(Format.compare(expected("> udp (10)"), udp, 0)).isNull();
        assertThat(Format.compare(expected("> udp (11)"), udp, 0)).isEqualTo("UDP length");
        assertThat(Format.compare(expected("> icmp unreachable port_unreachable"), udp, 0)).isEqualTo("protocol");
    }

    @Test
    void inbound_packets_have_valid_checksums_and_options_as_written() {
        byte[] p = Wire.tcp(Target.REMOTE, Target.LOCAL, 3, 1, 2, 5, 6, Wire.SYN, 1000, 0,
                List.of(new Option("mss", 1000, 0, null), Option.of("nop"), new Option("wscale", 7, 0, null)), 0);
        assertThat(Wire.checksum(p, 0, 20, 0)).isZero();
        Wire.Parsed back = Wire.parse(p);
        assertThat(back.ecn()).isEqualTo(3);
        assertThat(back.options()).extracting(Option::kind).containsExactly("mss", "nop", "wscale");
        assertThat(Wire.flagString(Wire.flagBits("SEW."))).isEqualTo("SEW.");
    }
}
