package io.tcpstack.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Endpoints as ctl conns, kill and trace take them. */
class EndpointFilterTest {
    private static final int US = Ipv4Address.parse("198.18.0.2");
    private static final int KERNEL = Ipv4Address.parse("198.18.0.1");

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

    @Test
    void traceConnectionsAreMatchedAndStackWideEventsOnlyWithoutAFilter() {
        EndpointFilter f = EndpointFilter.parse(List.of(":40000"));
        assertThat(f.matchesTraceConnection("198.18.0.2:80 198.18.0.1:40000")).isTrue();
        assertThat(f.matchesTraceConnection("198.18.0.2:80 198.18.0.1:40001")).isFalse();
        assertThat(f.matchesTraceConnection("-")).isFalse();
        assertThat(EndpointFilter.all().matchesTraceConnection("-")).isTrue();
    }

    @Test
    void badEndpointsSayWhatAnEndpointIs() {
        for (String bad : List.of("198.18.0.1:", "198.18.0.1:70000", "300.1.1.1", "host:80", "1.2.3.4:x")) {
            assertThatThrownBy(() -> EndpointFilter.parse(List.of(bad))).hasMessage("endpoint '" + bad
                    + "' must be ADDR:PORT, ADDR or :PORT (ADDR and PORT may be *)");
        }
        assertThatThrownBy(() -> EndpointFilter.parse(List.of(":1", ":2", ":3"))).hasMessageContaining("at most two");
    }
}
