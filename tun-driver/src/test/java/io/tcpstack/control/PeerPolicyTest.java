package io.tcpstack.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who may use the control socket. */
class PeerPolicyTest {
    /** Socket group 4242, daemon user 1000; pid 7's supplementary groups include 4242. */
    private final PeerPolicy policy = new PeerPolicy(4242, 1000,
            pid -> Map.of(7, Set.of(20, 4242), 8, Set.of(20)).getOrDefault(pid, Set.of()));

    @Test
    void rootTheDaemonsUserAndTheGroupsMembersMayConnect() {
        assertThat(policy.refusal(new Peer(1, 0, 0))).isNull();
        assertThat(policy.refusal(new Peer(2, 1000, 1000))).isNull();
        assertThat(policy.refusal(new Peer(3, 1001, 4242))).as("primary group").isNull();
        assertThat(policy.refusal(new Peer(7, 1002, 1002))).as("supplementary group").isNull();
    }

    @Test
    void othersAreRefusedWithTheReason() {
        assertThat(policy.refusal(new Peer(8, 65534, 65534)))
                .isEqualTo("uid 65534 is not root and not in the control socket's group (gid 4242)");
        assertThat(policy.refusal(new Peer(9, 1003, 20))).isNotNull();
    }
}
