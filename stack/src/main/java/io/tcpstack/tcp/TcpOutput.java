package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.link.SendingContext;
import io.tcpstack.profile.Affinity;
import io.tcpstack.stats.Counter;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.Ipv6View;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;

/**
 * Segment output (Linux tcp_output.c): building a connection's segments with their options
 * (SYN, ACK, probes, RST, and the data segments of {@link DataTransmit}), choosing the window to
 * advertise, and the MSS from the path MTU. Segments without a Tcb are {@link BareSegments}. Every
 * method runs under the Tcb lock.
 */
final class TcpOutput {
    /** Largest TCP option space (data offset 15 words). */
    private static final int MAX_OPTIONS = 40;
    /** Linux net.ipv4.tcp_min_snd_mss: no path MTU makes segments smaller. */
    private static final int MIN_SND_MSS = 48;

    private final TcpLayer layer;
    private final IpOutput ip;

    TcpOutput(TcpLayer layer, IpOutput ip) {
        this.layer = layer;
        this.ip = ip;
    }

    // ---- control segments

    /**
     * SYN (SYN_SENT) or SYN-ACK (SYN_RECEIVED) with Linux's option layout (stack/BEHAVIOURS.md 6). Its
     * window (Linux tcp_select_initial_window) is the buffer's window share, at most 65535 (RFC
     * 7323 2.2: a SYN's window is never scaled), rounded down to the MSS of the segments we expect:
     * 64240 in a SYN at MSS 1460, 65160 in a SYN-ACK whose peer offered timestamps (MSS 1448).
     * A SYN-ACK carries IP ID 0 (Linux sends it without a full socket, ip_build_and_send_pkt).
     */
    void sendSyn(Tcb tcb) {
        boolean synAck = tcb.state == TcpState.SYN_RECEIVED;
        int flags = (synAck ? TcpView.SYN | TcpView.ACK : TcpView.SYN) | Ecn.synFlags(tcb, synAck);
        int wscale = tcb.wscaleOk ? tcb.rcvWscale : -1;
        int optionsLength = TcpOptions.synLength(true, tcb.sackOk, tcb.tsOk, wscale >= 0);
        ByteBuf buf = ip.allocate(tcb.remoteAddress, TcpView.MIN_HEADER_LENGTH + optionsLength);
        int t = buf.writerIndex();
        // Linux tcp_openreq_init_rwin: our timestamps take room in a SYN-ACK's segments
        int window = synWindow(tcb.receiveBuffer.capacity(),
                tcb.advMss - (synAck && tcb.tsOk ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0));
        tcb.rcvWnd = window;
        tcb.rcvSsthresh = window;
        TcpView.writeHeader(buf, t, tcb.localPort, tcb.remotePort, tcb.iss, synAck ? tcb.rcvNxt : 0,
                optionsLength, flags, window);
        // our MSS (Linux advmss) whatever the peer announced
        TcpOptions.writeSyn(buf, t + TcpView.MIN_HEADER_LENGTH, tcb.advMss, tcb.sackOk, tcb.tsOk,
                tcb.tsVal(), synAck ? tcb.tsRecent : 0, wscale);
        finish(tcb, buf, t, TcpView.MIN_HEADER_LENGTH + optionsLength, flags, synAck ? 0 : tcb.ipId++ & 0xffff);
    }

    /**
     * The window of a SYN or SYN-ACK (Linux tcp_select_initial_window): whole segments of {@code
     * mss} of at most 64 KiB of the buffer, never scaled (RFC 7323 2.2), within init-rwnd.
     */
    int synWindow(int buffer, int mss) {
        int space = Math.min(Math.min(buffer, 65535), layer.handshake().initialWindowLimit(mss));
        return space > mss ? space / mss * mss : space;
    }

    /** A pure ACK now (cancels a pending delayed ACK), at {@link #acceptableSeq}. */
    void sendAck(Tcb tcb) {
        transmit(tcb, acceptableSeq(tcb), TcpView.ACK, 0, 0);
    }

    /**
     * The sequence number of a segment without data (Linux tcp_acceptable_seq): snd.nxt, unless
     * the peer's window has shrunk below it, then the window's right edge, so that the peer finds
     * the segment acceptable (RFC 9293 3.10.7.4) instead of dropping it.
     */
    static int acceptableSeq(Tcb tcb) {
        int windowEnd = tcb.sndUna + tcb.sndWnd;
        if (SeqNum.ge(windowEnd, tcb.sndNxt) || tcb.sndNxt - windowEnd < (1 << tcb.rcvWscale)) {
            return tcb.sndNxt;
        }
        return windowEnd;
    }

    /**
     * Zero-window and keepalive probe (Linux tcp_xmit_probe_skb): an ACK with seq = snd.una - 1,
     * an already acknowledged byte, so the peer answers with its current ACK and window.
     */
    void sendProbe(Tcb tcb) {
        transmit(tcb, tcb.sndUna - 1, TcpView.ACK, 0, 0);
    }

    /** Abortive close (Linux tcp_send_active_reset): RST|ACK at {@link #acceptableSeq}. */
    void sendReset(Tcb tcb) {
        transmit(tcb, acceptableSeq(tcb), TcpView.RST | TcpView.ACK, 0, 0);
        layer.stats().inc(Counter.TcpOutRsts);
    }

    /**
     * Builds and sends one segment: {@code dataLength} bytes starting {@code dataSkip} bytes past
     * snd.una in the send buffer, our timestamp and SACK options, the window we advertise now.
     */
    void transmit(Tcb tcb, int seq, int flags, int dataSkip, int dataLength) {
        int ecn = (flags & TcpView.RST) == 0 ? Ecn.outFlags(tcb, seq, dataLength) : 0;
        flags |= ecn & ~Ecn.ECT_BIT;
        int sackCount = 0;
        int optionsLength = tcb.tsOk ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0;
        if (tcb.sackOk && (flags & TcpView.ACK) != 0 && tcb.reassembly.hasSackInfo()) {
            int max = Math.min(TcpOptions.MAX_SACK_BLOCKS, (MAX_OPTIONS - optionsLength - 4) / 8);
            sackCount = tcb.reassembly.sackBlocks(tcb.sackOut, max);
            optionsLength += 4 + 8 * sackCount;
        }
        int headerLength = TcpView.MIN_HEADER_LENGTH + optionsLength;
        ByteBuf buf = ip.allocate(tcb.remoteAddress, headerLength + dataLength);
        int t = buf.writerIndex();
        int window = 0;
        if ((flags & TcpView.RST) == 0) {
            window = selectWindow(tcb);
            tcb.rcvWnd = window;
            tcb.rcvWup = tcb.rcvNxt;
        }
        TcpView.writeHeader(buf, t, tcb.localPort, tcb.remotePort, seq,
                (flags & TcpView.ACK) != 0 ? tcb.rcvNxt : 0, optionsLength, flags, window >>> tcb.rcvWscale);
        int o = t + TcpView.MIN_HEADER_LENGTH;
        if (tcb.tsOk) {
            o += TcpOptions.writeTimestamp(buf, o, tcb.tsVal(), tcb.tsRecent);
        }
        if (sackCount > 0) {
            TcpOptions.writeSack(buf, o, tcb.sackOut, sackCount);
        }
        buf.writerIndex(t + headerLength);
        if (dataLength > 0) {
            tcb.sendBuffer.copyTo(buf, dataSkip, dataLength);
        }
        finish(tcb, buf, t, headerLength + dataLength, flags, tcb.ipId++ & 0xffff, Ecn.ipEcn(ecn));
    }

    private void finish(Tcb tcb, ByteBuf buf, int t, int tcpLength, int flags, int ipId) {
        finish(tcb, buf, t, tcpLength, flags, ipId, 0);
    }

    /** {@code ipEcn}: the IP header's ECN bits (RFC 3168: ECT(0) on new data when ECN is on). */
    private void finish(Tcb tcb, ByteBuf buf, int t, int tcpLength, int flags, int ipId, int ipEcn) {
        buf.writerIndex(t + tcpLength);
        TcpView.fillChecksum(buf, t, tcpLength, tcb.localAddress, tcb.remoteAddress);
        if ((flags & TcpView.ACK) != 0) {
            TcpTimers.onAckSent(tcb);
        }
        layer.stats().inc(Counter.TcpOutSegs);
        tcb.counters.sent(tcpLength - (buf.getUnsignedByte(t + 12) >>> 4) * 4, flags, layer.clock().nanos());
        layer.trace().segmentOut(tcb, buf, t, tcpLength);
        ip.send(txQueue(tcb), buf, IpProtocol.TCP, tcb.remoteAddress, ipId, tcb.flowLabel, ipEcn);
    }

    /**
     * The queue a segment is written on (stack/BEHAVIOURS.md 1). With flow affinity the connection's
     * fixed queue: a TUN device without a steering program sends a flow's inbound packets to the
     * queue it was last written on, so the flow stays on one reader. Otherwise the queue of the
     * sending context ({@link SendingContext}: a reader writes on its own queue, as XPS maps a CPU
     * to its transmit queue). The kernel processes a TUN write on the CPU of the thread that
     * writes it, whatever the queue, so segments the stack writes from two threads (a reader's
     * ACK, an application's close) are processed by the kernel on two CPUs at once: how a kernel
     * server is left in FIN_WAIT_2 by the stack as client.
     */
    private int txQueue(Tcb tcb) {
        return layer.settings().affinity == Affinity.FLOW ? tcb.txQueue : SendingContext.queue();
    }

    /**
     * The receive window to advertise (Linux __tcp_select_window and tcp_select_window): the free
     * buffer space, at most rcv_ssthresh; while less than half the buffer is free, zero when it is
     * below one MSS or a sixteenth of the buffer (receiver-side SWS avoidance, RFC 9293
     * 3.8.6.2.2); a multiple of the scale unit rounded up; never shrinking the right edge already
     * offered.
     */
    int selectWindow(Tcb tcb) {
        int full = tcb.receiveBuffer.capacity();
        int free = TcpReceive.freeSpace(tcb);
        int mss = Math.min(tcb.rcvMss, full);
        int unit = 1 << tcb.rcvWscale;
        if (free < full >> 1) {
            if (layer.memory().underPressure()) {
                TcpReceive.adjustRcvSsthresh(tcb); // Linux __tcp_select_window
            }
            free = free & -unit;
            if (free < full >> 4 || free < mss) {
                free = 0;
            }
        }
        free = Math.min(free, tcb.rcvSsthresh);
        int window;
        if (tcb.rcvWscale != 0) {
            window = (free + unit - 1) & -unit;
        } else {
            window = tcb.rcvWnd;
            if (window <= free - mss || window > free) {
                window = free / mss * mss;
            } else if (mss == full && free > window + (full >> 1)) {
                window = free;
            }
        }
        int offered = tcb.rcvWnd - (tcb.rcvNxt - tcb.rcvWup);
        if (window < offered) {
            window = (offered + unit - 1) & -unit; // never shrink the offered window
        }
        return Math.min(window, 65535 << tcb.rcvWscale);
    }

    /**
     * Our MSS: the path MTU less the IP and TCP headers (Linux tcp_mss_to_mtu inverse): 1460
     * over IPv4 and 1440 over IPv6 at MTU 1500.
     */
    int ourMss(Tcb tcb) {
        return mssFromMtu(tcb.pmtu, tcb.remoteAddress);
    }

    /** {@link #ourMss(Tcb)} before there is a Tcb: from the path MTU to {@code remote} now. */
    int ourMss(IpAddress remote) {
        return mssFromMtu(ip.pathMtu(remote), remote);
    }

    private static int mssFromMtu(int mtu, IpAddress remote) {
        return mtu - ipHeaderLength(remote) - TcpView.MIN_HEADER_LENGTH;
    }

    private static int ipHeaderLength(IpAddress remote) {
        return remote.isV4() ? Ipv4View.MIN_HEADER_LENGTH : Ipv6View.HEADER_LENGTH;
    }

    /**
     * Linux tcp_v6_mtu_reduced with tcp_sync_mss: a path MTU of {@code mtu} ({@code >= 1280})
     * makes the segments smaller (tcp_mtu_to_mss: at most the peer's MSS, at least 48 bytes, less
     * our options) if it shrinks them; what is in flight and no longer fits goes again
     * (tcp_simple_retransmit).
     */
    void mtuReduced(Tcb tcb, int mtu) {
        int optionBytes = tcb.tsOk ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0;
        int mss = Math.max(Math.min(mssFromMtu(mtu, tcb.remoteAddress), tcb.peerMss),
                MIN_SND_MSS) - optionBytes;
        if (mss >= tcb.sndMss) {
            return;
        }
        layer.trace().note(tcb, Rule.PATH_MTU, "path MTU " + mtu + ": mss " + tcb.sndMss + " -> " + mss);
        tcb.pmtu = mtu;
        tcb.sndMss = mss;
        LossState.simpleRetransmit(tcb);
    }
}
