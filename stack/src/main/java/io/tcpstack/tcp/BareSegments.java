package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;

/**
 * Segments sent without a connection's Tcb (Linux tcp_ipv4.c tcp_v4_send_reset and
 * tcp_v4_send_ack, tcp_ipv6.c tcp_v6_send_response, and the SYN-ACK of a SYN cookie): resets for
 * segments that have no connection (RFC 9293 3.10.7.1), the ACKs of TIME_WAIT and FIN_WAIT_2
 * records, built from a few values, over IPv4 or IPv6. No state of its own: no Tcb lock is held.
 */
final class BareSegments {
    private final IpOutput ip;
    private final StackStats stats;
    private final TcpTrace trace;

    BareSegments(TcpLayer layer) {
        this.ip = layer.ip();
        this.stats = layer.stats();
        this.trace = layer.trace();
    }

    /**
     * Answers a segment that has no connection (RFC 9293 3.10.7.1; Linux tcp_v4_send_reset and
     * tcp_v6_send_reset): with ACK set, RST seq=SEG.ACK; otherwise RST|ACK seq=0
     * ack=SEG.SEQ+SEG.LEN. Window 0, no options, IP ID 0 (IPv6: the flow's hashed label). Never
     * answers an RST.
     */
    void sendResetFor(Segment seg) {
        if (seg.has(TcpView.RST)) {
            return;
        }
        boolean hasAck = seg.has(TcpView.ACK);
        int seq = hasAck ? seg.ack : 0;
        int ack = hasAck ? 0 : seg.seq + seg.length();
        int flags = hasAck ? TcpView.RST : TcpView.RST | TcpView.ACK;
        sendBare(seg.queue, seg.sourceHi, seg.sourceLo, -1, seg.destinationPort, seg.sourcePort, seq, ack, flags, 0,
                -1, 0);
        stats.inc(Counter.TcpOutRsts);
    }

    /**
     * A segment built from a few values and no Tcb: resets and the ACKs of TIME_WAIT and FIN_WAIT_2
     * records (Linux tcp_v4_send_ack, tcp_v6_send_response), to the remote address remoteHi:remoteLo
     * (IPv4-mapped for IPv4). {@code flowLabel} < 0: one hashed from the 4-tuple (a packet without
     * a socket). {@code tsVal} < 0 (as long) means no timestamp option.
     */
    void sendBare(int queue, long remoteHi, long remoteLo, int flowLabel, int localPort, int remotePort, int seq,
            int ack, int flags, int window, long tsVal, int tsEcr) {
        int optionsLength = tsVal >= 0 ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0;
        int tcpLength = TcpView.MIN_HEADER_LENGTH + optionsLength;
        ByteBuf buf = allocateBare(remoteHi, remoteLo, tcpLength);
        int t = buf.writerIndex();
        TcpView.writeHeader(buf, t, localPort, remotePort, seq, ack, optionsLength, flags, window);
        if (tsVal >= 0) {
            TcpOptions.writeTimestamp(buf, t + TcpView.MIN_HEADER_LENGTH, (int) tsVal, tsEcr);
        }
        finishBare(queue, remoteHi, remoteLo, flowLabel, localPort, remotePort, buf, t, tcpLength);
    }

    /**
     * A SYN-ACK without a Tcb, answering {@code syn}: a listener's SYN cookie (Linux
     * tcp_v4_send_synack and tcp_v6_send_synack with TCP_SYNACK_COOKIE), options in the layout
     * {@link TcpOutput#sendSyn} writes. {@code wscale} < 0 offers no window scale; {@code ecn} answers an
     * ECN-setup SYN with ECE. Over IPv6 its flow label is hashed from the 4-tuple, as for every
     * segment sent without a socket.
     */
    void sendSynAck(Segment syn, int iss, int window, int mss, boolean sack, boolean timestamps, int tsVal, int wscale,
            boolean ecn) {
        int optionsLength = TcpOptions.synLength(true, sack, timestamps, wscale >= 0);
        int tcpLength = TcpView.MIN_HEADER_LENGTH + optionsLength;
        ByteBuf buf = allocateBare(syn.sourceHi, syn.sourceLo, tcpLength);
        int t = buf.writerIndex();
        TcpView.writeHeader(buf, t, syn.destinationPort, syn.sourcePort, iss, syn.seq + 1, optionsLength,
                TcpView.SYN | TcpView.ACK | (ecn ? TcpView.ECE : 0), window);
        TcpOptions.writeSyn(buf, t + TcpView.MIN_HEADER_LENGTH, mss, sack, timestamps, tsVal, syn.options.tsVal,
                wscale);
        finishBare(syn.queue, syn.sourceHi, syn.sourceLo, -1, syn.destinationPort, syn.sourcePort, buf, t, tcpLength);
    }

    private ByteBuf allocateBare(long remoteHi, long remoteLo, int tcpLength) {
        return IpAddress.isV4(remoteHi, remoteLo) ? ip.allocate(tcpLength) : ip.allocate6(tcpLength);
    }

    /**
     * Checksums, counts, traces and sends the bare segment of {@code tcpLength} bytes at {@code t}
     * to remoteHi:remoteLo. {@code flowLabel} < 0: one hashed from the 4-tuple (a packet without
     * a socket).
     */
    private void finishBare(int queue, long remoteHi, long remoteLo, int flowLabel, int localPort, int remotePort,
            ByteBuf buf, int t, int tcpLength) {
        buf.writerIndex(t + tcpLength);
        stats.inc(Counter.TcpOutSegs);
        if (IpAddress.isV4(remoteHi, remoteLo)) {
            int remote = (int) remoteLo;
            TcpView.fillChecksum(buf, t, tcpLength, ip.localAddress(), remote);
            if (trace.enabled()) {
                trace.bareOut(IpAddress.v4(ip.localAddress()), IpAddress.v4(remote), localPort, remotePort, buf,
                        t, tcpLength);
            }
            ip.send(queue, buf, IpProtocol.TCP, remote, true, 0);
            return;
        }
        IpAddress local = ip.localAddress(IpAddress.V6_UNSPECIFIED);
        buf.setShort(t + 16, Checksum.fold(Checksum.sum(buf, t, tcpLength,
                Checksum.pseudoHeader6(local.hi(), local.lo(), remoteHi, remoteLo, IpProtocol.TCP, tcpLength))));
        if (trace.enabled()) {
            trace.bareOut(local, IpAddress.of(remoteHi, remoteLo), localPort, remotePort, buf, t, tcpLength);
        }
        int label = flowLabel >= 0 ? flowLabel : ip.flowLabel(remoteHi, remoteLo, localPort << 16 | remotePort);
        ip.send6(queue, buf, IpProtocol.TCP, remoteHi, remoteLo, label, 0, ip.defaultHopLimit());
    }
}
