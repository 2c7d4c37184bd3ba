package io.tcpstack.tcp;

/** {@link SynResendTest} over IPv6: the same segments, the same timings, on a dual-stack host. */
class SynResendIpv6Test extends SynResendTest {
    SynResendIpv6Test() {
        ipv6 = true;
    }
}
