package io.tcpstack.tcp;

import io.tcpstack.api.types.SynOptions;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.IpAddress;

/**
 * The active open (RFC 9293 3.10.1, OPEN; Linux tcp_v4_connect, tcp_v6_connect, tcp_connect): a
 * local port (RFC 6056), a 4-tuple no connection or TIME_WAIT record holds, and the first SYN.
 */
final class ActiveOpen {
    private final TcpLayer layer;
    private final EphemeralPorts ports;

    ActiveOpen(TcpLayer layer, EphemeralPorts ports) {
        this.layer = layer;
        this.ports = ports;
    }

    /**
     * Starts an active open: picks the local port unless {@code localPort} is given, sends a SYN
     * that offers {@code options} and returns the connection in SYN-SENT.
     *
     * @throws IllegalStateException (EADDRNOTAVAIL / EADDRINUSE) when no 4-tuple is free, or
     *     (ENETUNREACH) when the stack has no address of the remote address's family, or it is
     *     not one a connection can go to
     */
    TcpConnection connect(IpAddress remoteAddress, int remotePort, int localPort, SynOptions options) {
        TcpSettings settings = layer.settings();
        IpAddress local = layer.localAddress(remoteAddress);
        if (local == null || (!remoteAddress.isV4() && !settings.ipv6)) {
            throw new IllegalStateException("network is unreachable: the stack has no "
                    + (remoteAddress.isV4() ? "IPv4" : "IPv6") + " address for " + remoteAddress.withPort(remotePort));
        }
        if (!unicast(remoteAddress)) {
            throw new IllegalStateException("network is unreachable: " + remoteAddress + " is not a unicast address");
        }
        if (layer.limits().atConnectionLimit()) {
            throw new IllegalStateException("too many connections: max-connections is " + settings.maxConnections);
        }
        Tcb tcb;
        if (localPort == 0) {
            ports.setRange(settings.portRangeLow, settings.portRangeHigh);
            Tcb[] claimed = new Tcb[1];
            int port = ports.select(local, remoteAddress, remotePort, p -> {
                claimed[0] = layer.listeners().listening(p) ? null : claim(remoteAddress, remotePort, p, false, options);
                return claimed[0] != null;
            });
            if (port < 0) {
                throw new IllegalStateException("cannot assign requested address: no free local port in "
                        + settings.portRangeLow + "-" + settings.portRangeHigh);
            }
            tcb = claimed[0];
        } else {
            tcb = claim(remoteAddress, remotePort, localPort, true, options);
            if (tcb == null) {
                throw new IllegalStateException("address already in use: local port " + localPort + " to "
                        + remoteAddress.withPort(remotePort));
            }
        }
        tcb.lock.lock();
        try {
            layer.stats().inc(Counter.TcpActiveOpens);
            layer.trace().state(tcb, TcpState.CLOSED, TcpState.SYN_SENT, Rule.ACTIVE_OPEN);
            tcb.synTsVal = tcb.tsVal();
            tcb.rttStartNanos = layer.clock().nanos();
            Ecn.onConnect(tcb);
            layer.output().sendSyn(tcb);
            TcpTimers.armSynRetransmit(tcb);
            layer.trace().vars(tcb, "after connect");
        } finally {
            tcb.lock.unlock();
        }
        return tcb.connection;
    }

    /**
     * A Tcb in SYN-SENT holding the 4-tuple, or null if it is taken: by a connection, or by a
     * TIME_WAIT record that tw_reuse does not let go ({@code bound}: the application chose the
     * local port).
     */
    private Tcb claim(IpAddress remoteAddress, int remotePort, int localPort, boolean bound, SynOptions options) {
        long key = Demux.key(remoteAddress, remotePort, localPort);
        long hi = remoteAddress.hi();
        long lo = remoteAddress.lo();
        if (layer.demux().contains(key, hi, lo)) {
            return null;
        }
        Tcb tcb = new Tcb(layer, layer.localAddress(remoteAddress), localPort, remoteAddress, remotePort);
        layer.handshake().offerOptions(tcb, options);
        tcb.state = TcpState.SYN_SENT;
        int iss = layer.handshake().isn(tcb.localAddress, localPort, remoteAddress, remotePort);
        if (layer.timeWait().contains(key, hi, lo)) {
            TimeWait.Reuse reuse = layer.timeWait().reuse(key, hi, lo, bound);
            if (reuse == null) {
                return null;
            }
            // tcp_twsk_unique: the new connection starts past the old one and keeps its TS.Recent
            iss = reuse.iss();
            tcb.tsRecent = reuse.tsRecent();
            tcb.tsRecentStampMs = reuse.tsRecentStampMs();
        }
        layer.handshake().initSendSequence(tcb, iss);
        return layer.demux().putIfAbsent(tcb) == null ? tcb : null;
    }

    /**
     * A unicast address a connection can go to (Linux tcp_v4_connect refuses multicast and
     * broadcast routes, tcp_v6_connect multicast, ENETUNREACH); IPv4 keys rely on it ({@link
     * Demux#key}).
     */
    private static boolean unicast(IpAddress address) {
        if (address.isV4()) {
            int a = address.v4();
            return a != 0 && (a >>> 28) != 0xe && a != -1;
        }
        return !IpAddress.isMulticast(address.hi()) && !address.isUnspecified();
    }
}
