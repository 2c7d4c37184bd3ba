package io.tcpstack.tcp;

/** {@link RackTlpScenarioTest} over IPv6: the same segments, the same timings, on a dual-stack host. */
class RackTlpScenarioIpv6Test extends RackTlpScenarioTest {
    RackTlpScenarioIpv6Test() {
        ipv6 = true;
    }
}
