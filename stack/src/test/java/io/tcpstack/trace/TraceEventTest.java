package io.tcpstack.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tcpstack.stats.DropReason;
import org.junit.jupiter.api.Test;

/** Trace lines go out as text (ctl trace, saved files) and come back as events for ladders. */
class TraceEventTest {
    private static final String C = "198.18.0.2:80 198.18.0.1:40000";

    @Test
    void aVerboseLineComesBackWithItsRuleAndVariables() {
        TraceEvent.Vars v = new TraceEvent.Vars("ESTAB", (int) 3_000_000_000L, 7, 100, 200, 300,
                64240, 65280, 10, Integer.MAX_VALUE, 1448, "rto:200.000,delack:40.000");
        TraceEvent e = new TraceEvent(4_560_095_995_000L, TraceEvent.Kind.SEGMENT_OUT, C,
                ". seq=100 ack=300 win=501 len=0 [ESTAB]", Rule.DELAYED_ACK.name(), v);
        TraceEvent back = TraceEvent.parse(e.verbose());
        assertThat(back).isEqualTo(e);
        assertThat(back.vars().timerMap()).containsEntry("rto", 200.0).containsEntry("delack", 40.0);
        assertThat(e.toString()).isEqualTo("4560.095995 SEGMENT_OUT 198.18.0.2:80 198.18.0.1:40000 . seq=100 ack=300"
                + " win=501 len=0 [ESTAB]");
    }

    @Test
    void aPlainLineAndAStackWideOneParseToo() {
        TraceEvent e = TraceEvent.parse("12.000005 DROP        " + C + " R seq=5 ack=0 win=0 len=0 q1 dropped: TCP_CLOSE");
        assertThat(e.kind()).isEqualTo(TraceEvent.Kind.DROP);
        assertThat(e.connection()).isEqualTo(C);
        assertThat(e.nanos()).isEqualTo(12_000_005_000L);
        assertThat(e.rule()).isNull();
        assertThat(TraceEvent.parse("1.000000 NOTE        - part two").connection()).isEqualTo("-");
        assertThatThrownBy(() -> TraceEvent.parse("stream all")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void segmentTextReadsBackWhatWasWritten() {
        SegmentText.Fields f = SegmentText.parse("S. seq=4294967295 ack=1 win=65160 len=0 <mss 1460,sackOK,TS val 5"
                + " ecr 4,wscale 7> q0 -> LISTEN");
        assertThat(f.seq()).isEqualTo(-1);
        assertThat(f.mss()).isEqualTo(1460);
        assertThat(f.sackOk()).isTrue();
        assertThat(f.tsVal()).isEqualTo(5);
        assertThat(f.wscale()).isEqualTo(7);
        assertThat(f.seqLength()).isEqualTo(1);
        SegmentText.Fields sack = SegmentText.parse(". seq=1 ack=2897 win=500 len=0 <sack 4345-5793 8689-10137>");
        assertThat(sack.sack()).containsExactly(4345, 5793, 8689, 10137);
        assertThat(SegmentText.parse("no segment here")).isNull();
    }

    @Test
    void everyRuleAndDropReasonSaysWhereItComesFromInOneSentence() {
        for (Rule r : Rule.values()) {
            assertThat(r.cite()).as(r.name()).isNotBlank();
            assertThat(r.why()).as(r.name()).endsWith(".");
        }
        for (DropReason d : DropReason.values()) {
            assertThat(Rule.explain(d.name()).cite()).as(d.name()).isEqualTo(d.rule()).isNotBlank();
            assertThat(d.why()).as(d.name()).endsWith(".");
        }
        assertThat(Rule.explain("NO_SUCH_RULE")).isNull();
    }
}
