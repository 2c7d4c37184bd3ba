package io.tcpstack.tcp;

/** {@link FinAckRaceTest} over IPv6: the same segments, the same timings, on a dual-stack host. */
class FinAckRaceIpv6Test extends FinAckRaceTest {
    FinAckRaceIpv6Test() {
        ipv6 = true;
    }
}
