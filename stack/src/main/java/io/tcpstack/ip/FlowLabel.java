package io.tcpstack.ip;

import io.tcpstack.wire.Ipv6View;

/**
 * IPv6 flow labels as Linux chooses them with net.ipv6.auto_flowlabels = 1 and
 * flowlabel_state_ranges = 0 (this kernel's settings; RFC 6437): ip6_make_flowlabel takes the
 * packet's flow hash, rotates it by 16 bits and keeps the low 20. A TCP connection's hash is
 * random (sk_txhash, drawn again on every retransmission timeout); a packet without a socket
 * (a reset, an ICMPv6 message) gets a hash of its destination and ports keyed by a secret of the
 * stack's ({@link IpOutput#flowLabel}).
 */
public final class FlowLabel {

    private FlowLabel() {
    }

    /** Linux ip6_make_flowlabel of the flow hash {@code hash}. */
    public static int of(int hash) {
        return Integer.rotateLeft(hash, 16) & Ipv6View.FLOW_LABEL_MASK;
    }

    /** The label of a packet without a socket: a hash keyed by {@code secret} of the destination and the ports or ids. */
    static int ofFlow(long secret, long dstHi, long dstLo, int ports) {
        long h = (dstHi ^ secret) * 0x9E3779B97F4A7C15L;
        h = (h ^ dstLo ^ (h >>> 31)) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ ports ^ (h >>> 29)) * 0x165667B19E3779F9L;
        return of((int) (h ^ (h >>> 32)));
    }
}
