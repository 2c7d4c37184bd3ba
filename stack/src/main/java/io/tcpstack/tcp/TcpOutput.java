package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;

/**
 * Segment output (Linux tcp_output.c): building segments with their options, choosing the
 * window to advertise, and the send loop with Nagle, sender-side SWS avoidance and the
 * congestion window. Every method runs under the Tcb lock.
 */
final class TcpOutput {
    /** Largest TCP option space (data offset 15 words). */
    private static final int MAX_OPTIONS = 40;

    private final TcpLayer layer;
    private final IpOutput ip;
    /** Rotates outbound segments over the queues when there is no flow affinity. */
    private final java.util.concurrent.atomic.AtomicInteger txRotor = new java.util.concurrent.atomic.AtomicInteger();

    TcpOutput(TcpLayer layer, IpOutput ip) {
        this.layer = layer;
        this.ip = ip;
    }

    // ---- control segments

    /** SYN (SYN_SENT) or SYN-ACK (SYN_RECEIVED) with Linux's option layout (BEHAVIOURS.md 6). */
    void sendSyn(Tcb tcb) {
        boolean synAck = tcb.state == TcpState.SYN_RECEIVED;
        int flags = synAck ? TcpView.SYN | TcpView.ACK : TcpView.SYN;
        int wscale = tcb.wscaleOk ? tcb.rcvWscale : -1;
        int optionsLength = TcpOptions.synLength(true, tcb.sackOk, tcb.tsOk, wscale >= 0);
        ByteBuf buf = ip.allocate(TcpView.MIN_HEADER_LENGTH + optionsLength);
        int t = buf.writerIndex();
        // RFC 7323 2.2: the window in a SYN is never scaled; Linux offers 64240 at MSS 1460.
        int window = Math.min(selectWindow(tcb), 65535 / ourMss() * ourMss());
        tcb.rcvWnd = window;
        TcpView.writeHeader(buf, t, tcb.localPort, tcb.remotePort, tcb.iss, synAck ? tcb.rcvNxt : 0,
                optionsLength, flags, window);
        // our MSS (Linux advmss) whatever the peer announced
        TcpOptions.writeSyn(buf, t + TcpView.MIN_HEADER_LENGTH, ourMss(), tcb.sackOk, tcb.tsOk,
                tcb.tsVal(), synAck ? tcb.tsRecent : 0, wscale);
        finish(tcb, buf, t, TcpView.MIN_HEADER_LENGTH + optionsLength, flags);
    }

    /**
     * A pure ACK now (cancels a pending delayed ACK). Its sequence number is snd.max, not snd.nxt:
     * after an RTO our go-back-N rewinds snd.nxt, and a peer that already has those bytes finds
     * an ACK at the rewound snd.nxt unacceptable (it ends before its rcv.wup) and drops it unread.
     * Linux never rewinds snd_nxt (tcp_acceptable_seq); 4.4BSD tcp_output uses snd_max for an
     * ACK-only segment for this very reason.
     */
    void sendAck(Tcb tcb) {
        transmit(tcb, acceptableSeq(tcb), TcpView.ACK, 0, 0);
    }

    /**
     * The sequence number of a segment without data (Linux tcp_acceptable_seq): the highest
     * sequence sent (Linux's snd_nxt never rewinds; ours does, go-back-N after a timeout), unless
     * the peer's window has shrunk below it, then the window's right edge, so that the peer
     * finds the segment acceptable (RFC 9293 3.10.7.4) instead of dropping it.
     */
    static int acceptableSeq(Tcb tcb) {
        int windowEnd = tcb.sndUna + tcb.sndWnd;
        if (SeqNum.ge(windowEnd, tcb.sndMax) || tcb.sndMax - windowEnd < (1 << tcb.rcvWscale)) {
            return tcb.sndMax;
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

    // ---- data

    /**
     * Sends what the windows allow (Linux tcp_write_xmit): new data in segments of at most
     * sndMss, or in super-packets of whole sndMss segments that the link cuts (TSO), then our FIN
     * once every queued byte is out.
     */
    void push(Tcb tcb) {
        if (!tcb.state.isSynchronized() || tcb.finAcked) {
            return;
        }
        boolean sent = false;
        int burst = sendBurst(tcb);
        while (true) {
            int unsent = tcb.unsentBytes();
            if (unsent == 0) {
                break;
            }
            int window = tcb.sndUna + tcb.sndWnd - tcb.sndNxt;
            // in long: cwnd x MSS passed 2^31 after minutes of bulk at MTU 9000, and sending stopped
            int cwndBytes = (int) Math.min((long) tcb.cwnd * tcb.sndMss - inNetwork(tcb), Integer.MAX_VALUE);
            int length = Math.min(Math.min(unsent, burst), Math.min(window, cwndBytes));
            if (length <= 0) {
                break;
            }
            if (length > tcb.sndMss && length < unsent) {
                length -= length % tcb.sndMss; // whole segments, the runt only at the end of the data
            }
            if (length < tcb.sndMss && length < unsent) {
                // Window-limited: RFC 9293 3.8.6.2.1 (sender SWS avoidance) waits for at least
                // half the largest window the peer offered; cwnd is used in whole segments.
                if (cwndBytes < window || length < tcb.maxSndWnd / 2) {
                    break;
                }
            } else if (length < tcb.sndMss && !tcb.noDelay && tcb.dataInFlight() > 0
                    && !(length == unsent && tcb.finQueued)) {
                // RFC 896, RFC 9293 3.7.4 (Nagle): one small segment outstanding at a time. Not for
                // the last segment once the application closed: it carries the FIN (Linux
                // tcp_nagle_test: "Don't use the nagle rule for urgent data (or for the final FIN)").
                break;
            }
            boolean last = length == unsent;
            // the FIN follows the last byte, also when a go-back-N rewind sends that byte again
            boolean fin = last && tcb.finQueued;
            int flags = TcpView.ACK | (last ? TcpView.PSH : 0) | (fin ? TcpView.FIN : 0);
            transmit(tcb, tcb.sndNxt, flags, tcb.dataInFlight(), length);
            advanceSndNxt(tcb, length, fin);
            sent = true;
        }
        if (tcb.finQueued && tcb.unsentBytes() == 0 && !(tcb.finSent && SeqNum.gt(tcb.sndNxt, tcb.finSeq))) {
            transmit(tcb, tcb.sndNxt, TcpView.FIN | TcpView.ACK, 0, 0);
            advanceSndNxt(tcb, 0, true);
            sent = true;
        }
        if (sent) {
            TcpTimers.armRetransmit(tcb);
        } else {
            TcpTimers.checkPersist(tcb);
        }
    }

    /**
     * Data bytes per transmission (Linux tcp_tso_autosize, bounded by the link): whole sndMss
     * segments up to the link's largest packet, when the link cuts at exactly sndMss (same
     * headers: no SACK blocks; our MSS is the link's); otherwise one sndMss segment.
     */
    private int sendBurst(Tcb tcb) {
        int headers = Ipv4View.MIN_HEADER_LENGTH + TcpView.MIN_HEADER_LENGTH
                + (tcb.tsOk ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0);
        boolean sackBlocks = tcb.sackOk && tcb.reassembly.blockCount() > 0;
        if (ip.maxPacket() <= ip.mtu() || sackBlocks || ip.mtu() - headers != tcb.sndMss) {
            return tcb.sndMss;
        }
        return Math.max((ip.maxPacket() - headers) / tcb.sndMss, 1) * tcb.sndMss;
    }

    private void advanceSndNxt(Tcb tcb, int length, boolean fin) {
        if (!tcb.rttTiming && !tcb.tsOk && length > 0 && tcb.sndNxt == tcb.sndMax) {
            tcb.rttTiming = true; // RFC 6298 3 / Karn: time new data only
            tcb.rttSeq = tcb.sndNxt + length;
            tcb.rttStartNanos = layer.clock().nanos();
        }
        if (fin) {
            tcb.finSent = true;
            tcb.finSeq = tcb.sndNxt + length;
        }
        tcb.sndNxt += length + (fin ? 1 : 0);
        if (SeqNum.gt(tcb.sndNxt, tcb.sndMax)) {
            tcb.sndMax = tcb.sndNxt;
        }
        tcb.lastActivityMs = layer.nowMs();
    }

    /** What cwnd is compared with: the flight, or in SACK recovery RFC 6675's pipe. */
    private static int inNetwork(Tcb tcb) {
        return tcb.sackRecovery ? tcb.scoreboard.pipe(tcb.sndUna, tcb.sndMax, tcb.sndMss) : tcb.flightSize();
    }

    /**
     * RFC 6675 5 (C), Linux tcp_xmit_retransmit_queue: while pipe leaves a segment's room in
     * cwnd, retransmits the lost holes in order (NextSeg rule 1), then sends new data (rule 2).
     */
    void sackRecover(Tcb tcb) {
        SackScoreboard sb = tcb.scoreboard;
        int mss = tcb.sndMss;
        while ((long) tcb.cwnd * mss - sb.pipe(tcb.sndUna, tcb.sndMax, mss) >= mss && sb.nextLost(tcb.sndUna, mss)) {
            int offset = sb.lostStart - tcb.sndUna;
            int length = Math.min(Math.min(mss, sb.lostEnd - sb.lostStart), tcb.sendBuffer.size() - offset);
            if (length <= 0) {
                break;
            }
            layer.stats().inc(Counter.TcpRetransSegs);
            tcb.rttTiming = false; // Karn's rule
            transmit(tcb, sb.lostStart, TcpView.ACK | TcpView.PSH, offset, length);
            sb.highRxt = sb.lostStart + length;
        }
        push(tcb);
    }

    /**
     * Retransmits the first unacknowledged segment (RFC 6298 5.4, RFC 5681 3.2 fast retransmit):
     * the SYN, up to sndMss bytes of data (with our FIN if it fits), or the FIN alone.
     */
    void retransmitHead(Tcb tcb) {
        layer.stats().inc(Counter.TcpRetransSegs);
        tcb.rttTiming = false; // Karn's rule
        if (!tcb.state.isSynchronized() && (tcb.state == TcpState.SYN_SENT || tcb.state == TcpState.SYN_RECEIVED)) {
            sendSyn(tcb);
            return;
        }
        int data = Math.min(tcb.sendBuffer.size(), tcb.sndMss);
        // the FIN rides along when it was sent before and all data fits in this segment
        boolean fin = tcb.finQueued && data == tcb.sendBuffer.size() && SeqNum.gt(tcb.sndMax, tcb.sndUna + data);
        if (data == 0 && !fin) {
            return;
        }
        transmit(tcb, tcb.sndUna, TcpView.ACK | (fin ? TcpView.FIN : 0) | (data > 0 ? TcpView.PSH : 0), 0, data);
        if (fin) {
            tcb.finSent = true;
            tcb.finSeq = tcb.sndUna + data;
        }
        int end = tcb.sndUna + data + (fin ? 1 : 0);
        if (SeqNum.gt(end, tcb.sndNxt)) {
            tcb.sndNxt = end;
        }
    }

    /**
     * Builds and sends one segment: {@code dataLength} bytes starting {@code dataSkip} bytes past
     * snd.una in the send buffer, our timestamp and SACK options, the window we advertise now.
     */
    void transmit(Tcb tcb, int seq, int flags, int dataSkip, int dataLength) {
        int sackCount = 0;
        int optionsLength = tcb.tsOk ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0;
        if (tcb.sackOk && (flags & TcpView.ACK) != 0 && tcb.reassembly.blockCount() > 0) {
            int max = Math.min(TcpOptions.MAX_SACK_BLOCKS, (MAX_OPTIONS - optionsLength - 4) / 8);
            sackCount = tcb.reassembly.sackBlocks(tcb.sackOut, max);
            optionsLength += 4 + 8 * sackCount;
        }
        int headerLength = TcpView.MIN_HEADER_LENGTH + optionsLength;
        ByteBuf buf = ip.allocate(headerLength + dataLength);
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
        finish(tcb, buf, t, headerLength + dataLength, flags);
    }

    private void finish(Tcb tcb, ByteBuf buf, int t, int tcpLength, int flags) {
        buf.writerIndex(t + tcpLength);
        TcpView.fillChecksum(buf, t, tcpLength, tcb.localAddress, tcb.remoteAddress);
        if ((flags & TcpView.ACK) != 0) {
            TcpTimers.onAckSent(tcb);
        }
        layer.stats().inc(Counter.TcpOutSegs);
        layer.trace().segmentOut(tcb, buf, t, tcpLength);
        ip.send(txQueue(tcb), buf, IpProtocol.TCP, tcb.remoteAddress, true, tcb.ipId++ & 0xffff);
    }

    /**
     * The TUN queue a segment leaves on (BEHAVIOURS.md 1): with flow affinity the connection's
     * fixed queue; without, the next queue in turn, so the kernel sees the flow written from
     * several queues (and CPUs) and steers its replies across our readers.
     */
    private int txQueue(Tcb tcb) {
        return layer.settings().affinity == Affinity.FLOW ? tcb.txQueue : txRotor.getAndIncrement();
    }

    /**
     * The receive window to advertise (Linux __tcp_select_window, RFC 9293 3.8.6.2.2): the free
     * buffer space, but zero while it is below both half the buffer and one MSS (receiver-side SWS
     * avoidance), never shrinking the right edge already offered, a multiple of the scale unit.
     */
    int selectWindow(Tcb tcb) {
        int free = tcb.receiveBuffer.free() - tcb.reassembly.bytes();
        int full = tcb.receiveBuffer.capacity();
        if (free < full / 2 && free < tcb.rcvMss) {
            free = 0;
        }
        free = Math.min(free, tcb.rcvSsthresh); // Linux __tcp_select_window
        int offered = tcb.rcvWnd - (tcb.rcvNxt - tcb.rcvWup);
        int window = Math.max(Math.max(free, 0), Math.max(offered, 0));
        window = Math.min(window, 65535 << tcb.rcvWscale);
        int unit = (1 << tcb.rcvWscale) - 1;
        if (window > offered) {
            window = Math.max(window & ~unit, offered);
        }
        return window;
    }

    /**
     * Answers a segment that has no connection (RFC 9293 3.10.7.1; Linux tcp_v4_send_reset): with
     * ACK set, RST seq=SEG.ACK; otherwise RST|ACK seq=0 ack=SEG.SEQ+SEG.LEN. Window 0, no options,
     * IP ID 0. Never answers an RST.
     */
    void sendResetFor(Segment seg) {
        if (seg.has(TcpView.RST)) {
            return;
        }
        boolean hasAck = seg.has(TcpView.ACK);
        int seq = hasAck ? seg.ack : 0;
        int ack = hasAck ? 0 : seg.seq + seg.length();
        int flags = hasAck ? TcpView.RST : TcpView.RST | TcpView.ACK;
        sendBare(seg.queue, seg.source, seg.destinationPort, seg.sourcePort, seq, ack, flags, 0, -1, 0);
        layer.stats().inc(Counter.TcpOutRsts);
    }

    /**
     * A segment built from a few values and no Tcb: resets and the ACKs of TIME_WAIT and FIN_WAIT_2
     * records (Linux tcp_v4_send_ack). {@code tsVal} < 0 (as long) means no timestamp option.
     */
    void sendBare(int queue, int remoteAddress, int localPort, int remotePort, int seq, int ack, int flags,
            int window, long tsVal, int tsEcr) {
        int optionsLength = tsVal >= 0 ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0;
        int tcpLength = TcpView.MIN_HEADER_LENGTH + optionsLength;
        ByteBuf buf = ip.allocate(tcpLength);
        int t = buf.writerIndex();
        TcpView.writeHeader(buf, t, localPort, remotePort, seq, ack, optionsLength, flags, window);
        if (tsVal >= 0) {
            TcpOptions.writeTimestamp(buf, t + TcpView.MIN_HEADER_LENGTH, (int) tsVal, tsEcr);
        }
        finishBare(queue, remoteAddress, localPort, remotePort, buf, t, tcpLength);
    }

    /**
     * A SYN-ACK without a Tcb, answering {@code syn}: a listener's SYN cookie (Linux
     * tcp_v4_send_synack with TCP_SYNACK_COOKIE), options in the layout {@link #sendSyn} writes.
     * {@code wscale} < 0 offers no window scale.
     */
    void sendSynAck(Segment syn, int iss, int window, boolean sack, boolean timestamps, int tsVal, int wscale) {
        int optionsLength = TcpOptions.synLength(true, sack, timestamps, wscale >= 0);
        int tcpLength = TcpView.MIN_HEADER_LENGTH + optionsLength;
        ByteBuf buf = ip.allocate(tcpLength);
        int t = buf.writerIndex();
        TcpView.writeHeader(buf, t, syn.destinationPort, syn.sourcePort, iss, syn.seq + 1, optionsLength,
                TcpView.SYN | TcpView.ACK, window);
        TcpOptions.writeSyn(buf, t + TcpView.MIN_HEADER_LENGTH, ourMss(), sack, timestamps, tsVal, syn.options.tsVal,
                wscale);
        finishBare(syn.queue, syn.source, syn.destinationPort, syn.sourcePort, buf, t, tcpLength);
    }

    private void finishBare(int queue, int remoteAddress, int localPort, int remotePort, ByteBuf buf, int t,
            int tcpLength) {
        buf.writerIndex(t + tcpLength);
        TcpView.fillChecksum(buf, t, tcpLength, ip.localAddress(), remoteAddress);
        layer.stats().inc(Counter.TcpOutSegs);
        layer.trace().bareOut(ip.localAddress(), remoteAddress, localPort, remotePort, buf, t, tcpLength);
        ip.send(queue, buf, IpProtocol.TCP, remoteAddress, true, 0);
    }

    /** Our MSS: the link MTU less IPv4 and TCP headers (Linux tcp_mss_to_mtu inverse). */
    int ourMss() {
        return ip.mtu() - Ipv4View.MIN_HEADER_LENGTH - TcpView.MIN_HEADER_LENGTH;
    }

    /** Initial congestion window in segments (RFC 6928). */
    static int initialCwnd() {
        return TcpSettings.INIT_CWND;
    }
}
