package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Short, light runs of the attack benchmarks against the default daemon (scripts/bench/synflood.sh,
 * scripts/bench/abuse.sh, scripts/bench/blind.sh), with wide margins: the figures that matter come from the full runs.
 */
@Tag("netns")
class AttackIT {

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("'%s' in:%n%s", regex, text).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void aSynFloodGetsCookiesAndTheSerialClientStillGetsIn() throws Exception {
        Netns.requireRoot();
        Netns.Result run = Netns.run(300, "bash", DaemonProcess.scripts() + "/bench/synflood.sh", "--rate", "3000",
                "--seconds", "3", "--no-kernel", "--no-settle").ok();
        String out = run.out();
        System.out.println(out);
        long attempts = number(out, "stack client: serial: attempts=(\\d+)");
        long ok = number(out, "stack client: serial: attempts=\\d+ ok=(\\d+)");
        assertThat(number(out, "spoof: sent (\\d+) SYNs")).as("SYNs sent").isGreaterThan(1000);
        assertThat(number(out, "TcpExtSyncookiesSent=(\\d+)")).as("cookies sent").isGreaterThan(100);
        assertThat(number(out, "TcpExtSyncookiesRecv=(\\d+)")).as("the client's connections came back as cookies")
                .isPositive();
        assertThat(number(out, "TcpExtListenDrops=(\\d+)")).as("SYNs dropped").isZero();
        assertThat(ok).as("client connections served of %d", attempts).isGreaterThanOrEqualTo(attempts * 8 / 10);
    }

    @Test
    void neverReadingClientsAndHalfOpenOnesMeetTheMemoryBudgetAndTheSerialClientStillGetsIn() throws Exception {
        Netns.requireRoot();
        // 1,500 connections' send queues against a budget of 2,000-4,000 pages (8-16 MiB)
        Netns.Result run = Netns.run(300, "bash", DaemonProcess.scripts() + "/bench/abuse.sh", "--conns", "1500",
                "--half-open", "500", "--seconds", "10", "--tcp-mem", "1500 2000 4000").ok();
        String out = run.out();
        System.out.println(out);
        long attempts = number(out, "legitimate client: serial: attempts=(\\d+)");
        long ok = number(out, "legitimate client: serial: attempts=\\d+ ok=(\\d+)");
        assertThat(number(out, "established=(\\d+)")).as("never-read connections").isGreaterThan(1000);
        assertThat(number(out, "TcpExtTCPMemoryPressures=(\\d+)")).as("pressure engaged").isPositive();
        assertThat(number(out, "TcpExtTCPSndMemDrop=(\\d+)")).as("writes the budget refused").isPositive();
        assertThat(number(out, "TcpExtSyncookiesSent=(\\d+)") + number(out, "TcpPassiveOpens=(\\d+)"))
                .as("half-open ones met the request queue").isPositive();
        // 16 MiB of queues, the HTTP service's 64 KiB per connection, and a margin
        assertThat(number(out, "under the abuse ([0-9]+) KiB")).as("heap after GC under the abuse, KiB")
                .isLessThan(400L * 1024);
        assertThat(out).contains("daemon alive: yes");
        assertThat(ok).as("client connections served of %d", attempts).isGreaterThanOrEqualTo(attempts * 8 / 10);
    }

    @Test
    void blindResetsSynsAndDataNeitherResetNorCorruptAnEchoConnection() throws Exception {
        Netns.requireRoot();
        Netns.Result run = Netns.run(300, "bash", DaemonProcess.scripts() + "/bench/blind.sh", "--count", "6000",
                "--rate", "3000");
        System.out.println(run.out() + run.err());
        assertThat(run.out()).contains("match=yes ended=eof").contains("blind: echo intact and never reset");
        assertThat(run.exit()).isZero();
        assertThat(number(run.out(), "TcpEstabResets \\+(\\d+)")).isZero();
    }
}
