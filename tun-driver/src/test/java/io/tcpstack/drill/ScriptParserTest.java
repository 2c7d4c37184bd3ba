package io.tcpstack.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.drill.Script.Expr;
import io.tcpstack.drill.Script.Packet;
import io.tcpstack.drill.Script.Syscall;
import io.tcpstack.drill.Script.Time;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScriptParserTest {
    private static Script parse(String text) throws Exception {
        return ScriptParser.parse("t.pkt", text);
    }

    @Test
    void times_absolute_relative_ranges_and_any() throws Exception {
        Script s = parse("""
                0 `true`
                +0 < S 0:0(0) win 1000
                0.100 > S. 0:0(0) ack 1
                +.1~+.2 > . 1:1(0) ack 1
                *  > . 1:1(0) ack 1
                1.5~2 > . 1:1(0) ack 1
                """);
        List<Time> t = s.events().stream().map(Script.Event::time).toList();
        assertThat(t.get(1)).isEqualTo(new Time(Time.Kind.RELATIVE, 0, -1));
        assertThat(t.get(2)).isEqualTo(new Time(Time.Kind.ABSOLUTE, 100_000, -1));
        assertThat(t.get(3)).isEqualTo(new Time(Time.Kind.RELATIVE_RANGE, 100_000, 200_000));
        assertThat(t.get(4).kind()).isEqualTo(Time.Kind.ANY);
        assertThat(t.get(5)).isEqualTo(new Time(Time.Kind.ABSOLUTE_RANGE, 1_500_000, 2_000_000));
        assertThat(s.events().get(1).line()).isEqualTo(2);
    }

    @Test
    void inbound_packet_with_options_in_order() throws Exception {
        Packet p = (Packet) parse("0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>").events().get(0)
                .action();
        assertThat(p.inbound()).isTrue();
        assertThat(p.flags()).isEqualTo("S");
        assertThat(p.window()).isEqualTo(32792);
        assertThat(p.options()).extracting(Script.Option::kind)
                .containsExactly("mss", "sackOK", "nop", "nop", "nop", "wscale");
        assertThat(p.options().get(0).a()).isEqualTo(1000);
        assertThat(p.options().get(5).a()).isEqualTo(7);
    }

    @Test
    void outbound_packet_with_ecn_flags_timestamps_and_sack() throws Exception {
        Packet p = (Packet) parse("0 > [ect0] EW. 1:1001(1000) ack 5 <nop,nop,TS val 100 ecr 7,nop,nop,sack 1:2 3:4>")
                .events().get(0).action();
        assertThat(p.inbound()).isFalse();
        assertThat(p.ecn()).isEqualTo(Script.Ecn.ECT0);
        assertThat(p.flags()).isEqualTo("EW.");
        assertThat(p.seq()).isEqualTo(1);
        assertThat(p.length()).isEqualTo(1000);
        assertThat(p.ack()).isEqualTo(5L);
        assertThat(p.window()).isNull();
        assertThat(p.options().get(2)).extracting(Script.Option::a, Script.Option::b).containsExactly(100L, 7L);
        assertThat(p.options().get(5).sack()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void any_options_and_no_flags() throws Exception {
        Packet p = (Packet) parse("0 > - 0:0(0) <...>").events().get(0).action();
        assertThat(p.flags()).isEmpty();
        assertThat(p.options()).isNull();
    }

    @Test
    void udp_and_icmp_packets() throws Exception {
        Script s = parse("0 < udp (10)\n+0 > icmp unreachable port_unreachable");
        assertThat(((Packet) s.events().get(0).action()).protocol()).isEqualTo("udp");
        Packet icmp = (Packet) s.events().get(1).action();
        assertThat(icmp.icmpType()).isEqualTo("unreachable");
        assertThat(icmp.icmpCode()).isEqualTo("port_unreachable");
    }

    @Test
    void syscalls_with_errno_note_structs_and_blocking_end() throws Exception {
        Script s = parse("""
                0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
                +0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
                +0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
                +0...0.200 accept(3, ..., ...) = 4
                +0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 40}, {..., 60}], msg_flags=0}, 0) = 100
                """);
        Syscall connect = (Syscall) s.events().get(0).action();
        assertThat(connect.errno()).isEqualTo("EINPROGRESS");
        assertThat(connect.result()).isEqualTo(new Expr.Num(-1));
        Syscall linger = (Syscall) s.events().get(1).action();
        assertThat(((Expr.Struct) linger.args().get(3)).fields()).containsKeys("onoff", "linger");
        Syscall poll = (Syscall) s.events().get(2).action();
        Expr.Struct pollfd = (Expr.Struct) ((Expr.Array) poll.args().get(0)).items().get(0);
        assertThat(pollfd.fields().get("events")).isInstanceOf(Expr.Or.class);
        Syscall accept = (Syscall) s.events().get(3).action();
        assertThat(accept.endMicros()).isEqualTo(200_000);
        Syscall sendmsg = (Syscall) s.events().get(4).action();
        assertThat(Syscalls.iovecBytes(((Expr.Struct) sendmsg.args().get(1)).fields().get("msg_iov"))).isEqualTo(100);
    }

    @Test
    void options_header_comments_and_multi_line_commands() throws Exception {
        Script s = parse("""
                // a comment
                --tolerance_usecs=10000
                `../common/defaults.sh
                sysctl -q net.ipv4.tcp_ecn=1
                `
                /* block
                   comment */
                0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                """);
        assertThat(s.options()).containsEntry("tolerance_usecs", "10000");
        assertThat(((Script.Command) s.events().get(0).action()).text()).contains("tcp_ecn=1");
        assertThat(s.events().get(1).line()).isEqualTo(8);
    }

    @Test
    void python_blocks_are_unsupported_events() throws Exception {
        Script s = parse("0 %{\nassert tcpi_snd_cwnd == 10\n}%");
        assertThat(s.events().get(0).action()).isInstanceOf(Script.Unsupported.class);
    }

    @Test
    void errors_name_their_line() {
        assertThatThrownBy(() -> parse("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(5) win 1"))
                .isInstanceOf(ScriptParser.ParseException.class).hasMessageContaining("line 2")
                .hasMessageContaining("inconsistent");
        assertThatThrownBy(() -> parse("0 < S x")).hasMessageContaining("line 1");
    }
}
