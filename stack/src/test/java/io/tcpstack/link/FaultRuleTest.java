package io.tcpstack.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The words of a fault rule: what parses, how it is spelled back, and what is refused and why. */
class FaultRuleTest {

    @Test
    void rulesAreSpelledBackCanonicallyWithTheirSeedWhenTheyDrawRandomNumbers() {
        assertThat(FaultRule.parse("out :80 data drop once fresh-only")).hasToString("out :80 data drop once fresh-only");
        assertThat(FaultRule.parse("in drop")).hasToString("in any drop");
        assertThat(FaultRule.parse("both any drop p=0.05 seed=7")).hasToString("both any drop p=0.05 seed=7");
        assertThat(FaultRule.parse("out fresh-only 198.18.0.2:80 198.18.0.1:40000 delay 20ms jitter=5ms seed=3"))
                .hasToString("out 198.18.0.2:80 198.18.0.1:40000 delay 20ms jitter=5ms fresh-only seed=3");
        assertThat(FaultRule.parse("out seq=1-14481 reorder by=3")).hasToString("out seq=1-14481 reorder by=3 max=20ms");
        assertThat(FaultRule.parse("out flags=S/S. duplicate every=2")).hasToString("out flags=S/S. duplicate every=2");
        assertThat(FaultRule.parse("in fin empty corrupt nth=3 seed=1")).hasToString("in fin empty corrupt nth=3 seed=1");
        assertThat(FaultRule.parse("out delay 300us")).hasToString("out any delay 300us");
        assertThat(FaultRule.parse("out corrupt").toString()).matches("out any corrupt seed=\\d+");
    }

    @Test
    void severalRulesAreSeparatedBySemicolons() {
        List<FaultRule> rules = FaultRule.parseList("out :80 drop every=5; in :9 ack drop p=0.5 seed=1 ;");
        assertThat(rules).extracting(FaultRule::toString)
                .containsExactly("out :80 drop every=5", "in :9 ack drop p=0.5 seed=1");
    }

    @Test
    void malformedRulesSayWhatIsExpected() {
        assertThatThrownBy(() -> FaultRule.parse("")).hasMessageContaining("DIRECTION MATCH ACTION");
        assertThatThrownBy(() -> FaultRule.parse("up :80 drop")).hasMessageContaining("DIRECTION must be in, out or both");
        assertThatThrownBy(() -> FaultRule.parse("out :80")).hasMessageContaining("no ACTION");
        assertThatThrownBy(() -> FaultRule.parse("out :80 vanish")).hasMessageContaining("'vanish' is not a MATCH term");
        assertThatThrownBy(() -> FaultRule.parse("out flags=X drop")).hasMessageContaining("flag 'X'");
        assertThatThrownBy(() -> FaultRule.parse("out drop every=0")).hasMessageContaining("every must be a number 1..");
        assertThatThrownBy(() -> FaultRule.parse("out drop once p=0.1")).hasMessageContaining("one of every=N, p=P");
        assertThatThrownBy(() -> FaultRule.parse("out delay")).hasMessageContaining("delay needs a DURATION");
        assertThatThrownBy(() -> FaultRule.parse("out delay 5 minutes")).hasMessageContaining("a duration like");
        assertThatThrownBy(() -> FaultRule.parse("out drop by=2")).hasMessageContaining("'by=2' is not an option of drop");
        assertThatThrownBy(() -> FaultRule.parse("out :80 :81 :82 drop")).hasMessageContaining("at most two endpoints");
        assertThatThrownBy(() -> FaultRule.parse("out 198.18.0.1:99999 drop")).hasMessageContaining("must be ADDR:PORT");
        assertThatThrownBy(() -> FaultRule.parse("out any :80 drop")).hasMessageContaining("'any' stands alone");
    }

    @Test
    void rulesThatCanNeverMatchAreRefusedWithTheReason() {
        assertThatThrownBy(() -> FaultRule.parse("out ack data drop")).hasMessageContaining("never matches")
                .hasMessageContaining("a segment has data or has none");
        assertThatThrownBy(() -> FaultRule.parse("out syn ack drop")).hasMessageContaining("never matches: S would have"
                + " to be both set and clear");
        assertThatThrownBy(() -> FaultRule.parse("out fin flags=./F. drop")).hasMessageContaining("F would have to be");
        assertThatThrownBy(() -> FaultRule.parse("out flags=S/. drop")).hasMessageContaining("never matches: flags=S/."
                + " wants S set but looks only at .");
        assertThatThrownBy(() -> FaultRule.parse("in syn rst drop")).hasMessageContaining("SYN together with RST");
        assertThatThrownBy(() -> FaultRule.parse("in rst data drop")).hasMessageContaining("data in an RST");
        assertThatThrownBy(() -> FaultRule.parse("out ack seq=1-100 drop")).hasMessageContaining("occupy sequence space");
        assertThatThrownBy(() -> FaultRule.parse("out syn seq=1-100 drop")).hasMessageContaining("only sequence 0");
        assertThatThrownBy(() -> FaultRule.parse("out data seq=0-1 drop")).hasMessageContaining("data starts at sequence 1");
        assertThatThrownBy(() -> FaultRule.parse("out seq=9-9 drop")).hasMessageContaining("empty range");
        assertThatThrownBy(() -> FaultRule.parse("out drop p=0")).hasMessageContaining("never matches: p=0");
        assertThatThrownBy(() -> FaultRule.parse("out drop p=1.5")).hasMessageContaining("at most 1");
        FaultRule elsewhere = FaultRule.parse("out 10.0.0.1:80 10.0.0.2:5000 drop");
        assertThat(elsewhere.neverMatchesAt(io.tcpstack.wire.Ipv4Address.parse("198.18.0.2")))
                .isEqualTo("neither endpoint is the stack's address 198.18.0.2");
        assertThat(FaultRule.parse("out 198.18.0.1 drop").neverMatchesAt(io.tcpstack.wire.Ipv4Address.parse("198.18.0.2")))
                .as("one endpoint may be the peer's end").isNull();
    }

    @Test
    void selectionsPickEveryNthOnceTheNthOrAtTheSeededRate() {
        assertThat(picks(FaultRule.parse("out drop every=3"), 9)).isEqualTo("--x--x--x");
        assertThat(picks(FaultRule.parse("out drop once"), 5)).isEqualTo("x----");
        assertThat(picks(FaultRule.parse("out drop nth=4"), 6)).isEqualTo("---x--");
        assertThat(picks(FaultRule.parse("out drop"), 3)).isEqualTo("xxx");
        String a = picks(FaultRule.parse("out drop p=0.3 seed=11"), 2000);
        assertThat(picks(FaultRule.parse("out drop p=0.3 seed=11"), 2000)).as("same seed, same picks").isEqualTo(a);
        assertThat(a.chars().filter(c -> c == 'x').count()).isBetween(500L, 700L);
    }

    private static String picks(FaultRule rule, int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append(rule.select() ? 'x' : '-');
        }
        assertThat(rule.matched()).isEqualTo(count);
        return sb.toString();
    }
}
