package io.tcpstack.tcp;

/** {@link TimeWaitScenarioTest} over IPv6: the same segments, the same timings, on a dual-stack host. */
class TimeWaitScenarioIpv6Test extends TimeWaitScenarioTest {
    TimeWaitScenarioIpv6Test() {
        ipv6 = true;
    }
}
