package io.tcpstack.tcp;

import io.tcpstack.api.types.SynOptions;
import io.tcpstack.ip.FlowLabel;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.TcpOptions;
import java.util.random.RandomGenerator;

/**
 * What both opens share (RFC 9293 3.4 and 3.7.1, RFC 7323, RFC 2018, RFC 6528): the initial send
 * sequence, the options our SYN or SYN-ACK offers, and what the peer's SYN takes.
 */
final class Handshake {
    private final TcpLayer layer;
    private final IsnGenerator isn;
    /** Per-connection random choices (the IP ID's start, the flow label), from the stack's seed; under its own lock. */
    private final RandomGenerator random;

    Handshake(TcpLayer layer, IsnGenerator isn, RandomGenerator random) {
        this.layer = layer;
        this.isn = isn;
        this.random = random;
    }

    void initSendSequence(Tcb tcb, int iss) {
        tcb.iss = iss;
        tcb.sndUna = iss;
        tcb.sndNxt = iss + 1;
        tcb.highSeq = iss;
        tcb.sndSml = iss;
        tcb.cwndUsageSeq = iss;
        synchronized (random) {
            tcb.ipId = random.nextInt(0x10000);
        }
        tcb.flowLabel = newFlowLabel();
    }

    /** A connection's IPv6 flow label: a random flow hash (Linux net_tx_rndhash, sk_txhash), from the stack's seed. */
    int newFlowLabel() {
        synchronized (random) {
            return FlowLabel.of(random.nextInt() | 1);
        }
    }

    /** Linux net.core.rmem_max's default: the window scale covers at least this much. */
    private static final int CORE_RMEM_MAX = 212_992;

    /** RFC 6528: the ISN of a new connection from us on {@code localPort}. */
    int isn(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
        return isn.isn(localAddress, localPort, remoteAddress, remotePort);
    }

    /**
     * What our SYN offers (stack/BEHAVIOURS.md 6): MSS (from the path MTU to the peer), SACK,
     * timestamps, window scale; the knobs' choices unless the connection's {@code options} say
     * otherwise.
     */
    void offerOptions(Tcb tcb, SynOptions options) {
        tcb.pmtu = layer.ip().pathMtu(tcb.remoteAddress);
        int ourMss = layer.output().ourMss(tcb);
        tcb.advMss = options.mss() > 0 ? Math.min(options.mss(), ourMss) : ourMss;
        tcb.rcvMss = tcb.advMss;
        tcb.sndMss = Math.min(tcb.peerMss, tcb.rcvMss);
        tcb.sackOk = SynOptions.or(options.sack(), layer.settings().sack);
        tcb.tsOk = SynOptions.or(options.timestamps(), layer.settings().timestamps);
        tcb.wscaleOk = SynOptions.or(options.windowScaling(), layer.settings().windowScaling);
        tcb.tsHz = layer.settings().tsHz;
        tcb.rcvWscale = tcb.wscaleOk ? ourWindowScale() : 0;
        tcb.rcvSsthresh = tcb.receiveBuffer.capacity();
        tcb.tsOffset = tsOffset(tcb.localAddress, tcb.localPort, tcb.remoteAddress, tcb.remotePort);
    }

    /** Linux tcp_select_initial_window: the scale fits the largest buffer (tcp_rmem's max) in 16 bits. */
    int ourWindowScale() {
        int space = Math.max(layer.settings().rmem.max(), CORE_RMEM_MAX);
        return Math.max(0, Math.min(31 - Integer.numberOfLeadingZeros(space) - 15, TcpOptions.MAX_WSCALE));
    }

    /** The offset of our timestamp clock for a connection on this 4-tuple (RFC 7323 5.4). */
    int tsOffset(IpAddress localAddress, int localPort, IpAddress remoteAddress, int remotePort) {
        return switch (layer.settings().tsOffsetMode) {
            case PER_CONNECTION -> isn.tsOffset(localAddress, remoteAddress, localPort, remotePort);
            case PER_HOST -> isn.tsOffsetPerHost(localAddress, remoteAddress);
            case NONE -> 0;
        };
    }

    /**
     * The most our SYN (or SYN-ACK) may offer, for segments of {@code mss}: unlimited (64 KiB,
     * Linux >= 4.19, a337531b942b) or, with the init-rwnd knob, that many segments, as Linux 3.12 to
     * 4.18 offered 2 x TCP_INIT_CWND = 20 (tcp_default_init_rwnd, fewer for an MSS above 1460).
     */
    int initialWindowLimit(int mss) {
        int segments = layer.settings().initRwnd;
        if (segments == 0) {
            return Integer.MAX_VALUE;
        }
        if (mss > 1460) {
            segments = Math.max(1460 * segments / mss, 2);
        }
        return segments * mss;
    }

    /** Takes what the peer's SYN offers (RFC 9293 3.7.1, RFC 7323, RFC 2018). */
    void negotiate(Tcb tcb, TcpOptions o) {
        tcb.peerMss = o.mss > 0 ? o.mss : TcpSettings.MSS_DEFAULT;
        tcb.wscaleOk = tcb.wscaleOk && o.wscale >= 0;
        tcb.sndWscale = tcb.wscaleOk ? o.wscale : 0;
        if (!tcb.wscaleOk) {
            tcb.rcvWscale = 0;
        }
        tcb.sackOk = tcb.sackOk && o.sackPermitted;
        tcb.tsOk = tcb.tsOk && o.hasTimestamp;
        int optionBytes = tcb.tsOk ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0;
        int ourMss = tcb.advMss;
        tcb.sndMss = Math.max(Math.min(tcb.peerMss, ourMss) - optionBytes, 1);
        tcb.rcvMss = Math.max(Math.min(tcb.peerMss, ourMss) - optionBytes, 1);
    }
}
