package io.tcpstack.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code tcpstack nc}'s peer as one word, written as ss writes endpoints. */
class NcCommandTest {

    @Test
    void anEndpointSplitsIntoAddressAndPort() {
        assertThat(NcCommand.splitEndpoint("198.18.0.1:8080")).isEqualTo(List.of("198.18.0.1", "8080"));
        assertThat(NcCommand.splitEndpoint("[2001:2::1]:8080")).isEqualTo(List.of("2001:2::1", "8080"));
    }

    @Test
    void anIpv6AddressNeedsItsBrackets() {
        assertThatThrownBy(() -> NcCommand.splitEndpoint("2001:2::1:8080")).hasMessageContaining("[IPV6]:PORT");
        assertThatThrownBy(() -> NcCommand.splitEndpoint("198.18.0.1")).hasMessageContaining("ADDR:PORT");
    }
}
