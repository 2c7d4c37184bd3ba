package io.tcpstack.drill;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The project's packetdrill scripts (src/test/packetdrill) against the stack on virtual time:
 * every one must pass. DrillKernelIT runs the same scripts against this machine's kernel.
 */
class ProjectScriptsTest {
    static final Path DIR = Path.of("src/test/packetdrill");

    static List<Path> scripts() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            return s.filter(p -> p.toString().endsWith(".pkt")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> every_script_passes_against_the_stack() throws IOException {
        Drill drill = new Drill(Drill.Mode.STACK, Drill.DEFAULT_TOLERANCE_US);
        return scripts().stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
            Drill.Outcome o = drill.run(p);
            assertThat(o.kind()).as("%s: %s", p.getFileName(), o.message()).isEqualTo(Drill.Kind.PASS);
        }));
    }

    @Test
    void the_scripts_cover_every_behaviour_of_issue_14() throws IOException {
        List<String> names = scripts().stream().map(p -> p.getFileName().toString()).toList();
        assertThat(names).hasSizeGreaterThanOrEqualTo(20);
        for (String prefix : List.of("handshake-", "rfc5961-", "paws", "fin-wait-2", "time-wait", "syn-resend",
                "zero-window", "nagle", "delayed-ack", "sack-recovery", "simultaneous-open", "simultaneous-close",
                "keepalive", "div1-", "div2-", "div3-", "div4-")) {
            assertThat(names).as(prefix).anyMatch(n -> n.startsWith(prefix));
        }
    }

    @Test
    void a_wrong_expectation_fails_with_the_line_and_both_packets() {
        Drill drill = new Drill(Drill.Mode.STACK, Drill.DEFAULT_TOLERANCE_US);
        Drill.Outcome o = drill.run(Path.of("wrong.pkt"), """
                0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0 bind(3, ..., ...) = 0
                +0 listen(3, 1) = 0
                +0 < S 0:0(0) win 65535 <mss 1460>
                +0 > S. 0:0(0) ack 1 <mss 1400>
                """);
        assertThat(o.kind()).isEqualTo(Drill.Kind.FAIL);
        assertThat(o.message()).startsWith("line 5:").contains("TCP option mss")
                .contains("expected: > S. 0:0(0) ack 1 <mss 1400>").contains("actual:   > S. 0:0(0) ack 1 win");
    }

    @Test
    void a_late_packet_is_a_timing_failure_and_a_missing_one_says_so() {
        Drill drill = new Drill(Drill.Mode.STACK, Drill.DEFAULT_TOLERANCE_US);
        String handshake = """
                0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0 bind(3, ..., ...) = 0
                +0 listen(3, 1) = 0
                +0 < S 0:0(0) win 65535 <mss 1460>
                """;
        Drill.Outcome late = drill.run(Path.of("late.pkt"), handshake + "+.5 > S. 0:0(0) ack 1 <mss 1460>\n");
        assertThat(late.message()).contains("timing error");
        Drill.Outcome missing = drill.run(Path.of("missing.pkt"), handshake + "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                + "+0 > . 1:1(0) ack 1\n");
        assertThat(missing.message()).contains("none was sent");
        // the SYN-ACK is retransmitted at 1 s: with a range that covers it, that is the next packet
        Drill.Outcome retransmitted = drill.run(Path.of("rtx.pkt"), handshake
                + "+0 > S. 0:0(0) ack 1 <mss 1460>\n+.9~+1.1 > S. 0:0(0) ack 1 <mss 1460>\n");
        assertThat(retransmitted.kind()).as(retransmitted.message()).isEqualTo(Drill.Kind.PASS);
    }

    @Test
    void syscall_results_and_errno_are_checked() {
        Drill drill = new Drill(Drill.Mode.STACK, Drill.DEFAULT_TOLERANCE_US);
        Drill.Outcome o = drill.run(Path.of("errno.pkt"), """
                0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0 read(3, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)
                """);
        assertThat(o.kind()).isEqualTo(Drill.Kind.FAIL);
        assertThat(o.message()).contains("expected errno EAGAIN but got -1 ENOTCONN");
    }

    @Test
    void what_the_stack_cannot_do_is_unsupported_never_a_pass() {
        Drill drill = new Drill(Drill.Mode.STACK, Drill.DEFAULT_TOLERANCE_US);
        assertThat(drill.run(Path.of("py.pkt"), "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ pass }%\n").kind())
                .isEqualTo(Drill.Kind.UNSUPPORTED);
        Drill.Outcome sysctl = drill.run(Path.of("s.pkt"), "`sysctl -q net.ipv4.tcp_no_such_knob=1`\n"
                + "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
        assertThat(sysctl.kind()).isEqualTo(Drill.Kind.UNSUPPORTED);
        assertThat(sysctl.message()).contains("tcp_no_such_knob");
        assertThat(drill.run(Path.of("o.pkt"), "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                + "+0 setsockopt(3, SOL_TCP, TCP_CONGESTION, \"cubic\", 5) = 0\n").kind())
                .isEqualTo(Drill.Kind.UNSUPPORTED);
    }
}
