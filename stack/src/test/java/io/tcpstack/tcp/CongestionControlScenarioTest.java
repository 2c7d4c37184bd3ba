package io.tcpstack.tcp;

import static io.tcpstack.testing.TwoStacks.stat;
import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.link.Impairment;
import io.tcpstack.profile.CongestionAlgorithm;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.tcp.congestion.CongestionState;
import io.tcpstack.testing.TwoStacks;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Congestion control on a simulated path, on virtual time: CUBIC's window after a loss against
 * RFC 9438's W_cubic, and HyStart++ leaving slow start when the RTT rises (RFC 9406).
 */
class CongestionControlScenarioTest {
    private static final double C = 0.4;
    private static final double BETA = 0.7;

    private TwoStacks s;

    @AfterEach
    void close() {
        if (s != null) {
            s.close();
        }
    }

    /** cwnd of the client's connection at a virtual time. */
    private record Sample(long millis, int cwnd, int ssthresh) {
    }

    @Test
    void after_a_loss_cubic_follows_w_cubic_of_rfc_9438() throws IOException {
        TcpSettings settings = new TcpSettings();
        settings.congestionControl = CongestionAlgorithm.CUBIC;
        s = new TwoStacks(11, settings, new TcpSettings());
        long rttMillis = 100;
        s.net.impair(Impairment.NONE.withLatency(Duration.ofMillis(rttMillis / 2)));
        int[] n = {0};
        s.net.dropIf(seg -> seg.src() == TwoStacks.CLIENT && seg.payloadLength() > 0 && ++n[0] == 250);
        TwoStacks.Pair c = s.connect(10_000);
        List<Sample> samples = new ArrayList<>();
        s.net.runUntil(() -> {
            ConnectionInfo.Details d = bulk(c);
            if (samples.isEmpty() || samples.get(samples.size() - 1).cwnd() != d.cwnd()) {
                samples.add(new Sample(s.nowMillis(), d.cwnd(), d.ssthresh()));
            }
            return s.nowMillis() > 9_000;
        }, 10_000);
        assertThat(stat(s.client, Counter.TcpExtTCPSackRecovery)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpExtTCPTimeouts)).isZero();
        // W_max: cwnd when the loss was detected; the epoch starts as cwnd leaves ssthresh
        int reduction = indexOf(samples, x -> x.ssthresh() != CongestionState.INFINITE_SSTHRESH);
        int wMax = samples.get(reduction - 1).cwnd();
        int ssthresh = samples.get(reduction).ssthresh();
        assertThat(ssthresh).isEqualTo((int) (wMax * 717L / 1024));
        int start = indexOf(samples, x -> x.millis() > samples.get(reduction).millis() && x.cwnd() > ssthresh);
        long t0 = samples.get(start - 1).millis();
        double k = Math.cbrt(wMax * (1 - BETA) / C);
        for (double f : new double[] {0.5, 0.75, 1.0, 1.25}) {
            long at = t0 + Math.round(f * k * 1000);
            // RFC 9438 4.2: each RTT cwnd grows to the target W_cubic(t + RTT), so it is W_cubic(t)
            double t = (at - t0) / 1000.0;
            double wCubic = C * Math.pow(t - k, 3) + wMax;
            assertThat((double) cwndAt(samples, at)).as("cwnd at t = %.2f K (%d ms), W_cubic = %.1f", f, at - t0, wCubic)
                    .isCloseTo(wCubic, org.assertj.core.data.Offset.offset(1.0));
        }
    }

    @Test
    void hystart_plus_plus_leaves_slow_start_when_the_rtt_rises_before_any_loss() throws IOException {
        s = new TwoStacks(12);
        s.net.impair(Impairment.NONE.withLatency(Duration.ofMillis(25)));
        TwoStacks.Pair c = s.connect(10_000);
        boolean[] queueing = {false};
        int[] cwndAtRise = {0};
        s.net.runUntil(() -> {
            ConnectionInfo.Details d = bulk(c);
            if (!queueing[0] && d.cwnd() >= 80) {
                // a queue builds at a bottleneck: 20 ms more each way from now on
                queueing[0] = true;
                cwndAtRise[0] = d.cwnd();
                s.net.impair(Impairment.NONE.withLatency(Duration.ofMillis(45)));
            }
            return s.nowMillis() > 5_000;
        }, 6_000);
        ConnectionInfo.Details d = details(c);
        assertThat(stat(s.client, Counter.TcpExtTCPHystartDelayDetect)).isEqualTo(1);
        assertThat(stat(s.client, Counter.TcpRetransSegs)).as("no loss: the RTT alone ended slow start").isZero();
        assertThat(d.ssthresh()).as("slow start is over").isLessThan(CongestionState.INFINITE_SSTHRESH);
        // Conservative Slow Start grows a quarter as fast for CSS_ROUNDS rounds: far below the
        // doubling per round that slow start would have reached in the same 5 rounds
        assertThat(d.ssthresh()).isBetween(cwndAtRise[0], cwndAtRise[0] * 8);
    }

    private final byte[] chunk = new byte[1 << 20];
    private final byte[] sink = new byte[1 << 20];

    /**
     * A sender that always has data and a receiver that reads all there is: one step of a bulk
     * transfer limited by the network alone; returns the client's connection details after it.
     */
    private ConnectionInfo.Details bulk(TwoStacks.Pair c) {
        try {
            c.client().write(chunk, 0, chunk.length, false, 0);
            while (c.server().read(sink, 0, sink.length, false, 0) > 0) {
                // the receiver reads everything at once
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return details(c);
    }

    private static int indexOf(List<Sample> samples, java.util.function.Predicate<Sample> p) {
        for (int i = 0; i < samples.size(); i++) {
            if (p.test(samples.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such sample in " + samples.size());
    }

    private static int cwndAt(List<Sample> samples, long millis) {
        int cwnd = samples.get(0).cwnd();
        for (Sample x : samples) {
            if (x.millis() > millis) {
                break;
            }
            cwnd = x.cwnd();
        }
        return cwnd;
    }

    private ConnectionInfo.Details details(TwoStacks.Pair c) {
        return s.client.connections().stream()
                .filter(i -> i.localPort() == c.client().localPort() && i.details() != null).findFirst().orElseThrow()
                .details();
    }
}
