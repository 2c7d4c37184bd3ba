package io.tcpstack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Bad command lines get one clear line and a non-zero status, never a stack trace. */
class MainTest {

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void helpListsTheSubcommands() {
        Run r = run("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("daemon").contains("finack");
    }

    @Test
    void unknownProfileIsAUsageError() {
        Run r = run("daemon", "--profile", "linux-9.9");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("profile must be one of linux-5.5, linux-5.6, linux-4.9, rss");
    }

    @Test
    void badFaultRuleAndPortRangeAreReportedInOneLine() {
        Run fault = run("daemon", "--fault", "sideways:RA");
        assertThat(fault.status()).isEqualTo(2);
        assertThat(fault.err()).contains("fault rule 'sideways:RA' must be in|out:FLAGS[/N]").doesNotContain("\tat ");
        Run range = run("finack", "client", "--port-range", "5000-4000");
        assertThat(range.status()).isEqualTo(2);
        assertThat(range.err()).contains("--port-range must be LOW-HIGH");
    }

    @Test
    void badServiceSpecIsReported() {
        Run r = run("daemon", "--services", "ftp:21");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("unknown service 'ftp'");
    }
}
