package io.tcpstack.daemon;

import io.tcpstack.api.TcpStack;
import io.tcpstack.stats.Counter;
import java.io.PrintStream;
import java.util.List;

/**
 * Prints one line of figures every few seconds ({@code tcpstack daemon --report-every}): how
 * many connections and TIME_WAIT/FIN_WAIT_2 records the stack holds, and the counters that tell
 * the TIME_WAIT story. Demos read it; operators can watch it.
 */
public final class Reporter implements AutoCloseable {
    private static final List<Counter> COUNTERS = List.of(Counter.TcpPassiveOpens, Counter.TcpActiveOpens,
            Counter.TcpExtTW, Counter.TcpExtTWRecycled, Counter.TcpExtTWKilled, Counter.TcpExtTCPTimeWaitOverflow,
            Counter.TcpExtPAWSPassive);

    private final Thread thread;

    private Reporter(Thread thread) {
        this.thread = thread;
    }

    public static Reporter start(TcpStack stack, long intervalMillis, PrintStream out) {
        long start = System.nanoTime();
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Thread.sleep(intervalMillis);
                    out.println(line(stack, (System.nanoTime() - start) / 1_000_000_000.0));
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tcpstack-report");
        t.setDaemon(true);
        t.start();
        return new Reporter(t);
    }

    /** {@code report: t=12.0s conns=3 tw-records=1500 TcpPassiveOpens=... }. */
    public static String line(TcpStack stack, double seconds) {
        StringBuilder sb = new StringBuilder(String.format("report: t=%.1fs conns=%d tw-records=%d", seconds,
                stack.connectionCount(), stack.timeWaitCount()));
        for (Counter c : COUNTERS) {
            sb.append(' ').append(c.name()).append('=').append(stack.stats().get(c));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
