package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** scripts/demo-timewait.sh end to end, with a short load phase: reads its tables. */
@Tag("netns")
class TimeWaitDemoIT {

    private static String[] row(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().trim().split(" {2,}");
    }

    @Test
    void theServerHoldsTimeWaitAndRecycleBreaksClientsBehindANat() throws Exception {
        Netns.requireRoot();
        Netns.Result demo = Netns.run(240, "bash", System.getProperty("tcpstack.scripts", "../scripts")
                + "/demo-timewait.sh", "--seconds", "6").ok();
        System.out.println(demo.out());
        List<String> lines = Arrays.asList(demo.out().split("\n"));

        String[] now = row(lines, "TIME_WAIT now");
        // only the few connections ab itself abandons at its time limit (concurrency 4) end in the kernel's TIME_WAIT
        assertThat(Integer.parseInt(now[1])).as("kernel client's TIME-WAIT sockets").isLessThanOrEqualTo(4);
        assertThat(Integer.parseInt(now[2])).as("stack's TIME_WAIT records").isGreaterThan(1000);
        String[] opens = row(lines, "TcpPassiveOpens");
        assertThat(Integer.parseInt(opens[2])).as("connections in 6 s, whatever the load").isGreaterThan(2000);
        String bytes = lines.stream().filter(l -> l.startsWith("bytes per TIME_WAIT record:")).findFirst().orElseThrow();
        assertThat(Integer.parseInt(bytes.replaceAll("bytes per TIME_WAIT record: (\\d+) .*", "$1"))).isLessThanOrEqualTo(64);

        String[] onA = row(lines, "tw_recycle on   client a");
        String[] onB = row(lines, "tw_recycle on   client b");
        String[] offA = row(lines, "tw_recycle off  client a");
        String[] offB = row(lines, "tw_recycle off  client b");
        assertThat(Integer.parseInt(onA[6])).as("SYNs the stack dropped with recycle on").isPositive();
        assertThat(Integer.parseInt(onA[5]) + Integer.parseInt(onB[5])).as("connect failures, recycle on").isPositive();
        for (String[] off : List.of(offA, offB)) {
            assertThat(off[3]).as("SYNs resent, recycle off").isEqualTo("0");
            assertThat(off[5]).as("connect failures, recycle off").isEqualTo("0");
            assertThat(off[6]).as("drops, recycle off").isEqualTo("0");
        }
    }
}
