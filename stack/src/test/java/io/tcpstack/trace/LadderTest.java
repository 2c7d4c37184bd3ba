package io.tcpstack.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LadderTest {
    private static final String C = "198.18.0.2:40000 198.18.0.1:5001";

    private static TraceEvent at(long ms, TraceEvent.Kind kind, String text) {
        return new TraceEvent(ms * 1_000_000L, kind, C, text);
    }

    private final List<TraceEvent> twoConnects = List.of(
            at(0, TraceEvent.Kind.STATE, "CLOSED -> SYN-SENT"),
            at(0, TraceEvent.Kind.SEGMENT_OUT, "S seq=100 ack=0 win=64240 len=0 [SYN-SENT]"),
            at(1, TraceEvent.Kind.STATE, "SYN-SENT -> ESTAB"),
            at(5, TraceEvent.Kind.SEGMENT_OUT, "R. seq=105 ack=9 win=0 len=0 [ESTAB]"),
            at(5, TraceEvent.Kind.STATE, "ESTAB -> CLOSED"),
            at(6, TraceEvent.Kind.STATE, "CLOSED -> SYN-SENT"),
            at(6, TraceEvent.Kind.SEGMENT_OUT, "S seq=900 ack=0 win=64240 len=0 [SYN-SENT]"),
            at(7, TraceEvent.Kind.SEGMENT_IN, ". seq=9 ack=105 win=1448 len=0 q1 -> SYN-SENT"),
            at(7, TraceEvent.Kind.DROP, ". seq=9 ack=105 win=1448 len=0 q1 dropped: TCP_INVALID_ACK_SEQUENCE"),
            new TraceEvent(8_000_000L, TraceEvent.Kind.NOTE, "-", "unrelated"),
            at(1007, TraceEvent.Kind.TIMER, "retransmission timeout (0 retransmitted before)"),
            at(1007, TraceEvent.Kind.SEGMENT_OUT, "S seq=900 ack=0 win=64240 len=0 [SYN-SENT]"),
            at(1008, TraceEvent.Kind.SEGMENT_IN, "S. seq=7000 ack=901 win=1448 len=0 q0 -> SYN-SENT"),
            at(1008, TraceEvent.Kind.STATE, "SYN-SENT -> ESTAB"));

    @Test
    void findsTheSlowestConnectWithItsContext() {
        Ladder.Window w = Ladder.slowestConnect(twoConnects, e -> false);
        assertThat(w.connection()).isEqualTo(C);
        assertThat(w.connectNanos()).isEqualTo(1002_000_000L);
        assertThat(w.events().get(0).text()).isEqualTo("SYN-SENT -> ESTAB");
        assertThat(w.events().get(1).text()).startsWith("R. seq=105");
        assertThat(w.events().get(w.events().size() - 1).text()).isEqualTo("SYN-SENT -> ESTAB");
        assertThat(w.events()).anyMatch(e -> e.text().equals("unrelated"));
    }

    @Test
    void drawsArrowsBothWaysWithTimesFromTheFirstLine() {
        LadderModel m = TraceLadder.fromTrace("from the RST on", twoConnects.subList(3, twoConnects.size()), true);
        String[] lines = TextLadder.render(m, false).split("\n");
        assertThat(lines[0]).contains("tcpstack 198.18.0.2").contains("peer 198.18.0.1");
        assertThat(lines[1]).matches(" +0\\.000 +\\|-- R\\. seq=105 ack=9 win=0 len=0 -+>\\| *");
        assertThat(lines).anyMatch(l -> l.matches(".*SYN-SENT q1 \\|<-+ \\. seq=9 ack=105 win=1448 len=0 --\\|.*"));
        assertThat(lines).anyMatch(l -> l.contains("x dropped by 198.18.0.2: TCP_INVALID_ACK_SEQUENCE"));
        assertThat(lines).anyMatch(l -> l.matches(" +1002\\.000 +\\|  timer: retransmission timeout.*"));
        assertThat(lines[lines.length - 1]).matches(" +1003\\.000 +\\|  SYN-SENT -> ESTAB +\\|");
        assertThat(lines).allMatch(l -> l.length() <= TextLadder.WIDTH);
    }

    @Test
    void aConnectWorthShowingWinsOverASlowerOne() {
        Ladder.Window first = Ladder.slowestConnect(twoConnects, e -> e.nanos() == 0);
        assertThat(first.connectNanos()).isEqualTo(1_000_000L);
        assertThat(Ladder.slowestConnect(twoConnects, Ladder.dropped("TCP_INVALID_ACK_SEQUENCE")).connectNanos())
                .isEqualTo(1002_000_000L);
    }

    @Test
    void noCompletedConnectMeansNoWindow() {
        assertThat(Ladder.slowestConnect(twoConnects.subList(5, 9), e -> false)).isNull();
    }

    /** What FaultInjectingLink traces for a drop by a fault rule: the ladder draws that segment lost, by that rule. */
    @Test
    void aFaultRulesDropIsALostArrow() {
        List<TraceEvent> events = List.of(
                at(0, TraceEvent.Kind.SEGMENT_OUT, "P. seq=105 ack=9 win=501 len=100 [ESTAB]"),
                at(0, TraceEvent.Kind.FAULT, "rule 2 dropped: out P. seq=105 ack=9 win=501 len=100 rel=1"),
                at(1, TraceEvent.Kind.FAULT, "rule 3 delayed by 20ms: out . seq=205 ack=9 win=501 len=0"));
        String[] lines = TextLadder.render(TraceLadder.fromTrace("a fault", events, true), false).split("\n");
        assertThat(lines).anyMatch(l -> l.matches(" +0\\.000 +\\|-- P\\. seq=105 ack=9 win=501 len=100 -+x +\\| lost"));
        assertThat(lines).anyMatch(l -> l.contains("x lost: fault rule 2"));
        assertThat(lines).anyMatch(l -> l.contains("(rule 3 delayed by 20ms: out . seq=205"));
    }
}
