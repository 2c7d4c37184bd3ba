package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.inbound.LookupObserver;
import io.tcpstack.ip.Icmp6;
import io.tcpstack.ip.Ipv6Transport;
import io.tcpstack.ip.TransportHandler;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;
import io.tcpstack.trace.Rule;
import io.tcpstack.trace.TraceLadder;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.Ipv6View;
import io.tcpstack.wire.TcpView;

/**
 * Where every TCP segment enters (Linux tcp_v4_rcv and tcp_v6_rcv in net/ipv4/tcp_ipv4.c and
 * net/ipv6/tcp_ipv6.c): the header and checksum checks, then the lookup of what it is for: a
 * connection (processed under its lock by {@link TcpInput}), else a TIME_WAIT or FIN_WAIT_2
 * record ({@link TimeWaitInput}), else a listener ({@link ListenInput}), else an RST. Also
 * tcp_v6_err for a Packet Too Big. One reader thread per queue calls it, each with its own
 * {@link Segment}.
 */
public final class TcpRcv implements TransportHandler, Ipv6Transport {
    private final TcpLayer layer;
    private final StackStats stats;
    private final TimeWaitInput timeWaitInput;
    private final Segment[] segments;
    private volatile LookupObserver lookupObserver;

    TcpRcv(TcpLayer layer, int queueCount) {
        this.layer = layer;
        this.stats = layer.stats();
        this.timeWaitInput = new TimeWaitInput(layer, layer.timeWait());
        this.segments = new Segment[queueCount];
        for (int i = 0; i < queueCount; i++) {
            segments[i] = new Segment();
        }
    }

    @Override
    public void receive(int queue, Ipv4View ip) {
        int length = ip.payloadLength();
        receive(queue, ip.buf(), ip.payloadOffset(), length,
                Checksum.pseudoHeader(ip.source(), ip.destination(), IpProtocol.TCP, length), 0,
                IpAddress.v4Lo(ip.source()), ip.tos() & 3);
    }

    @Override
    public void receive(int queue, Ipv6View ip) {
        int length = ip.payloadLength();
        receive(queue, ip.buf(), ip.payloadOffset(), length, ip.pseudoHeader(IpProtocol.TCP, length), ip.sourceHi(),
                ip.sourceLo(), ip.trafficClass() & 3);
    }

    /**
     * The segment of {@code length} bytes at {@code offset}, from the source address
     * sourceHi:sourceLo, with the ECN bits {@code ipEcn} of its IP header (RFC 3168 5).
     */
    private void receive(int queue, ByteBuf buf, int offset, int length, long pseudoHeader, long sourceHi,
            long sourceLo, int ipEcn) {
        if (length < TcpView.MIN_HEADER_LENGTH) {
            stats.inc(Counter.TcpInErrs);
            stats.drop(DropReason.TCP_TOO_SHORT);
            return;
        }
        int dataOffset = (buf.getUnsignedByte(offset + 12) >>> 4) * 4;
        if (dataOffset < TcpView.MIN_HEADER_LENGTH || dataOffset > length) {
            stats.inc(Counter.TcpInErrs);
            stats.drop(DropReason.TCP_DATA_OFFSET);
            return;
        }
        Segment seg = segments[queue];
        seg.tcp.wrap(buf, offset, length);
        if (!seg.tcp.checksumValid(pseudoHeader)) {
            stats.inc(Counter.TcpInCsumErrors);
            stats.inc(Counter.TcpInErrs);
            stats.drop(DropReason.TCP_CSUM);
            return;
        }
        stats.inc(Counter.TcpInSegs);
        seg.load(queue, sourceHi, sourceLo, buf, offset, length);
        seg.ipEcn = ipEcn;
        deliver(seg, 0);
        Wakeups.runPostedHandlers(); // handlers run here unless this thread's burst flush runs them
    }

    /**
     * Linux tcp_v6_err for a Packet Too Big about a segment we sent: the connection it belongs
     * to, if the quoted sequence number is in flight (else TcpExtOutOfWindowIcmps), sizes its
     * segments for the new path MTU and sends again what no longer fits (tcp_v6_mtu_reduced). An
     * MTU below 1280 is ignored, as Linux does (RFC 8201 4). Other errors are counted by ICMPv6.
     */
    @Override
    public void error(int queue, int type, int code, int info, Ipv6View quoted) {
        if (type != Icmp6.TYPE_PACKET_TOO_BIG || info < Ipv6View.MIN_MTU) {
            return;
        }
        ByteBuf buf = quoted.buf();
        int o = quoted.payloadOffset();
        int localPort = buf.getUnsignedShort(o);
        int remotePort = buf.getUnsignedShort(o + 2);
        int seq = buf.getInt(o + 4);
        long hi = quoted.destinationHi();
        long lo = quoted.destinationLo();
        Tcb tcb = layer.demux().get(Demux.key(hi, lo, remotePort, localPort), hi, lo);
        if (tcb == null) {
            return;
        }
        tcb.lock.lock();
        try {
            if (tcb.state == TcpState.CLOSED) {
                return;
            }
            if (!SeqNum.between(seq, tcb.sndUna, tcb.sndNxt)) {
                stats.inc(Counter.TcpExtOutOfWindowIcmps);
                return;
            }
            layer.output().mtuReduced(tcb, info);
        } finally {
            tcb.lock.unlock();
        }
    }

    private void deliver(Segment seg, int isnFromTimeWait) {
        long key = Demux.key(seg.sourceHi, seg.sourceLo, seg.sourcePort, seg.destinationPort);
        Tcb tcb = layer.demux().get(key, seg.sourceHi, seg.sourceLo);
        if (tcb != null) {
            // lookup, then lock (Linux tcp_v4_rcv then bh_lock_sock): the entry may have been
            // closed or replaced in between; Linux drops such a segment (reason TCP_CLOSE)
            betweenLookupAndLock(seg.queue, key);
            tcb.lock.lock();
            try {
                if (tcb.state == TcpState.CLOSED) {
                    stats.inc(Counter.TcpExtStaleLookupDrop);
                    layer.states().drop(seg, DropReason.TCP_CLOSE);
                    return;
                }
                layer.trace().segmentIn(seg, tcb.state.ssName());
                layer.input().process(tcb, seg);
                tcb.counters.received(seg, layer.clock().nanos());
                layer.trace().vars(tcb, TraceLadder.AFTER_SEGMENT);
            } finally {
                layer.trace().clearCause();
                tcb.lock.unlock();
            }
            return;
        }
        switch (timeWaitInput.process(key, seg)) {
            case DONE -> {
                return;
            }
            case SYN -> {
                if (layer.listeners().open(seg.destinationPort) == null) {
                    timeWaitInput.ack(key, seg.sourceHi, seg.sourceLo); // no listener: Linux falls through to TCP_TW_ACK
                    return;
                }
                Integer isn = layer.timeWait().takeForSuccessor(key, seg.sourceHi, seg.sourceLo);
                if (isn != null) {
                    deliver(seg, isn);
                    return;
                }
            }
            case NONE -> {
            }
        }
        Listener listener = layer.listeners().open(seg.destinationPort);
        if (listener == null) {
            layer.trace().segmentIn(seg, "no socket");
            layer.states().drop(seg, DropReason.TCP_NO_SOCKET);
            layer.bareSegments().sendResetFor(seg);
            return;
        }
        if (seg.has(TcpView.SYN) && !seg.has(TcpView.ACK) && layer.timeWait().recycleRejects(seg)) {
            stats.inc(Counter.TcpExtPAWSPassive); // tw_recycle: the SYN vanishes, the client times out
            stats.drop(DropReason.TCP_RFC7323_PAWS);
            layer.trace().drop(seg, DropReason.TCP_RFC7323_PAWS, Rule.TW_RECYCLE);
            return;
        }
        layer.trace().segmentIn(seg, "LISTEN");
        if (layer.listenInput().process(listener, seg, isnFromTimeWait) == ListenInput.Verdict.RETRY) {
            deliver(seg, isnFromTimeWait); // another queue created the connection first
        }
    }

    private void betweenLookupAndLock(int queue, long key) {
        long delay = layer.settings().lookupDelayMicros;
        if (delay > 0) {
            layer.clock().pause(delay * 1000);
        }
        LookupObserver observer = lookupObserver;
        if (observer != null) {
            observer.afterLookup(queue, key);
        }
    }

    /** Runs {@code observer} between each segment's lookup and its lock (deterministic races; null: none). */
    public void setLookupObserver(LookupObserver observer) {
        this.lookupObserver = observer;
    }
}
