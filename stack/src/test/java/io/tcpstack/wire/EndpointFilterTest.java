package io.tcpstack.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Endpoints as ctl conns, kill and trace take them. */
class EndpointFilterTest {
    private static final IpAddress US = IpAddress.parse("198.18.0.2");
    private static final IpAddress KERNEL = IpAddress.parse("198.18.0.1");
    private static final IpAddress US6 = IpAddress.parse("2001:2::2");
    private static final IpAddress KERNEL6 = IpAddress.parse("2001:2::1");

    private static boolean matches(String... endpoints) {
        return EndpointFilter.parse(List.of(endpoints)).matches(US, 80, KERNEL, 40000);
    }

    @Test
    void oneEndpointMatchesEitherEnd() {
        assertThat(matches()).isTrue();
        assertThat(matches(":80")).isTrue();
        assertThat(matches("198.18.0.1:40000")).isTrue();
        assertThat(matches("198.18.0.1")).isTrue();
        assertThat(matches("*:40000")).isTrue();
        assertThat(matches(":81")).isFalse();
        assertThat(matches("198.18.0.3")).isFalse();
    }

    @Test
    void twoEndpointsAreA4TupleInEitherOrder() {
        assertThat(matches("198.18.0.2:80", "198.18.0.1:40000")).isTrue();
        assertThat(matches("198.18.0.1:40000", ":80")).isTrue();
        assertThat(matches(":80", ":80")).isFalse();
        assertThat(matches("198.18.0.1:40001", ":80")).isFalse();
    }

    private static boolean matches6(String... endpoints) {
        return EndpointFilter.parse(List.of(endpoints)).matches(US6, 80, KERNEL6, 40000);
    }

    @Test
    void ipv6EndpointsAreWrittenAsSsWritesThem() {
        assertThat(matches6("[2001:2::2]:80")).isTrue();
        assertThat(matches6("[2001:2::1]")).isTrue();
        assertThat(matches6("2001:2::1")).isTrue();
        assertThat(matches6("[2001:2::2]:80", "[2001:2::1]:40000")).isTrue();
        assertThat(matches6(":80")).isTrue();
        assertThat(matches6("[2001:2::2]:81")).isFalse();
        assertThat(matches6("198.18.0.2:80")).as("another family").isFalse();
        assertThat(matches("[2001:2::2]:80")).isFalse();
        assertThat(EndpointFilter.parse(List.of("[2001:2::2]:80")).toString()).isEqualTo("[2001:2::2]:80");
    }

    @Test
    void traceConnectionsAreMatchedAndStackWideEventsOnlyWithoutAFilter() {
        EndpointFilter f = EndpointFilter.parse(List.of(":40000"));
        assertThat(f.matchesTraceConnection("198.18.0.2:80 198.18.0.1:40000")).isTrue();
        assertThat(f.matchesTraceConnection("198.18.0.2:80 198.18.0.1:40001")).isFalse();
        assertThat(f.matchesTraceConnection("[2001:2::2]:80 [2001:2::1]:40000")).isTrue();
        assertThat(f.matchesTraceConnection("-")).isFalse();
        assertThat(EndpointFilter.all().matchesTraceConnection("-")).isTrue();
    }

    @Test
    void badEndpointsSayWhatAnEndpointIs() {
        for (String bad : List.of("198.18.0.1:", "198.18.0.1:70000", "300.1.1.1", "host:80", "1.2.3.4:x", "[2001:2::1]80",
                "[2001:2::1]:", "2001:2::1::2")) {
            assertThatThrownBy(() -> EndpointFilter.parse(List.of(bad))).hasMessage("endpoint '" + bad
                    + "' must be ADDR:PORT, ADDR or :PORT (ADDR and PORT may be *; IPv6 as [ADDR]:PORT)");
        }
        assertThatThrownBy(() -> EndpointFilter.parse(List.of(":1", ":2", ":3"))).hasMessageContaining("at most two");
    }

    @Test
    void aFourTupleCanBeLocalOnlyWithOneOfTheHostsAddresses() {
        List<IpAddress> ours = List.of(US, US6);
        assertThat(EndpointFilter.parse(List.of("[2001:2::2]:80", "2001:2::9")).canBeLocal(ours)).isTrue();
        assertThat(EndpointFilter.parse(List.of("10.0.0.1:80", "10.0.0.2:9")).canBeLocal(ours)).isFalse();
        assertThat(EndpointFilter.parse(List.of("10.0.0.1:80")).canBeLocal(ours)).isTrue();
    }
}
