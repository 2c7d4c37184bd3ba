package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.ip.IpOutput;
import io.tcpstack.link.SendingContext;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.tcp.congestion.CongestionState;
import io.tcpstack.tcp.congestion.CwndEvent;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.Ipv6View;
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

    // ---- data (Linux tcp_write_xmit, tcp_retransmit_skb)

    /** Sends what the windows allow (Linux tcp_push_pending_frames); arms the persist timer when the peer's window stops it. */
    void push(Tcb tcb) {
        if (!writeXmit(tcb, false)) {
            TcpTimers.checkPersist(tcb);
        }
    }

    /**
     * The tail loss probe's new data (Linux tcp_write_xmit with push_one 2): one segment if the
     * peer's window has room, whatever cwnd and Nagle say. False if none could go.
     */
    boolean sendNewSegment(Tcb tcb) {
        return writeXmit(tcb, true);
    }

    /**
     * Linux tcp_write_xmit: new data in segments of at most sndMss, or in super-packets of whole
     * sndMss segments that the link cuts (TSO), while the flight is below cwnd and each segment
     * fits the peer's window; our FIN with (or after) the last byte. Nagle (RFC 896 with
     * Minshall's rule, Linux tcp_nagle_test) holds back a small segment while an earlier small one
     * is unacknowledged. With {@code probe} one segment goes regardless of cwnd and Nagle.
     * Returns true if something was sent.
     */
    private boolean writeXmit(Tcb tcb, boolean probe) {
        if (!tcb.state.isSynchronized() || tcb.finAcked) {
            return false;
        }
        RetransmitQueue q = tcb.rtx;
        int priorPackets = q.packetsOut();
        if (priorPackets == 0 && tcb.unsentBytes() > 0) {
            slowStartAfterIdle(tcb);
        }
        int sent = 0;
        boolean cwndLimited = false;
        int mss = tcb.sndMss;
        int burst = sendBurst(tcb);
        while (true) {
            int unsent = tcb.unsentBytes();
            boolean finToSend = tcb.finQueued && !tcb.finSent;
            if (unsent == 0 && !finToSend) {
                break;
            }
            int quota = tcb.cong.cwnd - q.inFlight();
            if (quota <= 0 && unsent == 0) {
                quota = 1; // Linux tcp_cwnd_test: "Don't be strict about the congestion window for the final FIN"
            }
            if (quota <= 0) {
                if (!probe || sent > 0) {
                    cwndLimited = true;
                    break;
                }
                quota = 1;
            }
            int window = tcb.sndUna + tcb.sndWnd - tcb.sndNxt;
            int first = Math.min(unsent, mss);
            boolean firstCarriesFin = first == unsent && finToSend;
            // Linux tcp_snd_wnd_test: the next segment (with its FIN) must fit the peer's window
            if (window < first + (firstCarriesFin ? 1 : 0)) {
                break;
            }
            int length = Math.min(Math.min(unsent, burst), Math.min(window, quota * mss));
            if (length > mss && length < unsent) {
                length -= length % mss; // whole segments, the runt only at the end of the data
            }
            boolean last = length == unsent;
            boolean fin = last && finToSend && window >= length + 1;
            if (!probe && length < mss && !fin && nagleHolds(tcb)) {
                layer.trace().nagle(tcb, length);
                break;
            }
            int flags = TcpView.ACK | (last && length > 0 ? TcpView.PSH : 0) | (fin ? TcpView.FIN : 0);
            sent += transmitNew(tcb, length, flags);
            if (probe || (length == 0 && fin)) {
                break;
            }
        }
        if (sent > 0 || cwndLimited) {
            cwndValidate(tcb, cwndLimited);
        }
        if (sent == 0) {
            return false;
        }
        if (tcb.caState.inCwndReduction()) {
            tcb.prrOut += sent;
        }
        tcb.cong.lastSendMs = layer.nowMs();
        // Linux tcp_event_new_data_sent: the RTO starts with the first segment in flight, and
        // replaces a pending loss probe, which is then scheduled again after this data
        if (priorPackets == 0 || tcb.retransmitKind == Tcb.TimerKind.LOSS_PROBE) {
            TcpTimers.rearmRto(tcb);
        }
        if (!probe) {
            TailLossProbe.schedule(tcb, false);
        }
        return true;
    }

    /**
     * Data after a pause with nothing in flight (Linux tcp_event_data_sent and
     * tcp_slow_start_after_idle_check): the algorithm hears TX_START; after more than an RTO of
     * silence cwnd falls back towards the initial window, halving per RTO idle (RFC 7661's
     * predecessor, RFC 5681 4.1; tcp_cwnd_restart), when tcp_slow_start_after_idle is on.
     */
    private void slowStartAfterIdle(Tcb tcb) {
        CongestionState c = tcb.congestion();
        tcb.cc.cwndEvent(c, CwndEvent.TX_START);
        long idle = layer.nowMs() - c.lastSendMs;
        long rto = tcb.rtt.rtoMicros() / 1000;
        if (!layer.settings().slowStartAfterIdle || c.lastSendMs == 0 || idle <= rto) {
            return;
        }
        int restart = Math.min(TcpSettings.INIT_CWND, c.cwnd);
        tcb.cc.cwndEvent(c, CwndEvent.CWND_RESTART);
        c.ssthresh = Math.max(c.ssthresh, (c.cwnd >> 1) + (c.cwnd >> 2)); // tcp_current_ssthresh
        int cwnd = c.cwnd;
        while ((idle -= rto) > 0 && cwnd > restart) {
            cwnd >>= 1;
        }
        c.cwnd = Math.max(cwnd, restart);
    }

    /**
     * Linux tcp_nagle_check with tcp_minshall_check: a small segment waits while a small segment
     * sent before is unacknowledged (and TCP_NODELAY is off). The final FIN never waits.
     */
    private static boolean nagleHolds(Tcb tcb) {
        return !tcb.noDelay && !tcb.rtx.isEmpty() && SeqNum.gt(tcb.sndSml, tcb.sndUna)
                && !SeqNum.gt(tcb.sndSml, tcb.sndNxt);
    }

    /**
     * Sends {@code length} new bytes from snd.nxt (and the FIN in {@code flags}); each segment of
     * at most sndMss goes on the retransmit queue. Returns the number of segments.
     */
    private int transmitNew(Tcb tcb, int length, int flags) {
        boolean fin = (flags & TcpView.FIN) != 0;
        int seq = tcb.sndNxt;
        transmit(tcb, seq, flags, tcb.dataInFlight(), length);
        long now = sendTime(tcb);
        int mss = tcb.sndMss;
        int segments = 0;
        int offset = 0;
        do {
            int part = Math.min(mss, length - offset);
            boolean lastPart = offset + part == length;
            int end = seq + offset + part + (lastPart && fin ? 1 : 0);
            int marks = lastPart ? (fin ? RetransmitQueue.FIN : 0) | ((flags & TcpView.PSH) != 0 ? RetransmitQueue.PSH : 0) : 0;
            tcb.rtx.append(seq + offset, end, now, marks, tcb.delivered, tcb.deliveredNanos);
            offset += part;
            segments++;
        } while (offset < length);
        if (length % mss != 0 || length == 0) {
            tcb.sndSml = seq + length; // Linux tcp_minshall_update: the end of a small segment
        }
        if (fin) {
            tcb.finSent = true;
            tcb.finSeq = seq + length;
        }
        tcb.sndNxt = seq + length + (fin ? 1 : 0);
        tcb.bytesSent += length;
        tcb.lastActivityMs = layer.nowMs();
        return segments;
    }

    /**
     * The time a transmission is stamped with (Linux skb_mstamp_ns): the clock, but always after
     * the connection's previous transmission, so that RACK's "sent after" follows the order of
     * transmissions also when the clock has not moved between them (virtual time, a coarse clock).
     */
    private long sendTime(Tcb tcb) {
        long now = Math.max(layer.clock().nanos(), tcb.lastSentNanos + 1);
        tcb.lastSentNanos = now;
        return now;
    }

    /**
     * Linux tcp_cwnd_validate: remembers whether cwnd limited this window's sending, and the
     * largest flight, so that only a window that was used grows (RFC 7661).
     */
    private static void cwndValidate(Tcb tcb, boolean cwndLimited) {
        CongestionState c = tcb.cong;
        int packetsOut = tcb.rtx.packetsOut();
        if (!SeqNum.lt(tcb.sndUna, tcb.cwndUsageSeq) || cwndLimited || (!c.cwndLimited && packetsOut > c.maxPacketsOut)) {
            c.cwndLimited = cwndLimited;
            c.maxPacketsOut = packetsOut;
            tcb.cwndUsageSeq = tcb.sndNxt;
        }
    }

    /**
     * Data bytes per transmission (Linux tcp_tso_autosize, bounded by the link): whole sndMss
     * segments up to the link's largest packet, when the link cuts at exactly sndMss (same
     * headers: no SACK blocks; our MSS is the link's); otherwise one sndMss segment. The link
     * cuts IPv4 super-packets only.
     */
    private int sendBurst(Tcb tcb) {
        int headers = Ipv4View.MIN_HEADER_LENGTH + TcpView.MIN_HEADER_LENGTH
                + (tcb.tsOk ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0);
        boolean sackBlocks = tcb.sackOk && tcb.reassembly.hasSackInfo();
        if (ip.maxPacket() <= ip.mtu() || sackBlocks || ip.mtu() - headers != tcb.sndMss
                || !tcb.remoteAddress.isV4()) {
            return tcb.sndMss;
        }
        return Math.max((ip.maxPacket() - headers) / tcb.sndMss, 1) * tcb.sndMss;
    }

    /**
     * Linux tcp_retransmit_skb (and __tcp_retransmit_skb for a tail loss probe, {@code
     * inFlight} false): sends the segment in {@code slot} again, unless it lies beyond the peer's
     * window (the head always goes); one sent before the MSS shrank goes in pieces of the new
     * one (tcp_fragment). Counts TcpRetransSegs; a counted retransmission starts the clock of
     * the retransmission timeout's give-up time and of undo. False if not sent.
     */
    boolean retransmit(Tcb tcb, int slot, boolean inFlight) {
        RetransmitQueue q = tcb.rtx;
        int start = q.start(slot);
        boolean fin = q.has(slot, RetransmitQueue.FIN);
        int length = q.end(slot) - start - (fin ? 1 : 0);
        if (start != tcb.sndUna && !SeqNum.lt(start, tcb.sndUna + tcb.sndWnd)) {
            return false;
        }
        int flags = TcpView.ACK | (fin ? TcpView.FIN : 0) | (q.has(slot, RetransmitQueue.PSH) ? TcpView.PSH : 0);
        for (int sent = 0; ; ) {
            int part = Math.min(length - sent, tcb.sndMss);
            boolean last = sent + part == length;
            transmit(tcb, start + sent, last ? flags : TcpView.ACK, start - tcb.sndUna + sent, part);
            sent += part;
            if (last) {
                break;
            }
        }
        long now = sendTime(tcb);
        q.sentAgain(slot, now, inFlight, tcb.delivered, tcb.deliveredNanos);
        layer.stats().inc(Counter.TcpRetransSegs);
        tcb.totalRetrans++;
        tcb.bytesRetrans += length;
        tcb.bytesSent += length; // Linux tcpi_bytes_sent (RFC 4898 HCDataOctetsOut) counts retransmitted data too
        if (inFlight) {
            if (tcb.retransStampMs == 0) {
                tcb.retransStampMs = layer.nowMs();
            }
            tcb.undoRetrans = Math.max(tcb.undoRetrans, 0) + 1;
        }
        return true;
    }

    /**
     * Linux tcp_write_wakeup, from the persist timer: when the peer's window has opened but not
     * enough for a full segment, a segment of what fits goes. False if the window is closed.
     */
    boolean sendIntoWindow(Tcb tcb) {
        int window = tcb.sndUna + tcb.sndWnd - tcb.sndNxt;
        int unsent = tcb.unsentBytes();
        if (window <= 0 || unsent == 0) {
            return false;
        }
        int length = Math.min(Math.min(window, unsent), tcb.sndMss);
        int flags = TcpView.ACK | TcpView.PSH;
        transmitNew(tcb, length, flags);
        TcpTimers.rearmRto(tcb);
        return true;
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
        layer.stats().inc(Counter.TcpOutRsts);
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
     * {@link #sendSyn} writes. {@code wscale} < 0 offers no window scale; {@code ecn} answers an
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
        layer.stats().inc(Counter.TcpOutSegs);
        if (IpAddress.isV4(remoteHi, remoteLo)) {
            int remote = (int) remoteLo;
            TcpView.fillChecksum(buf, t, tcpLength, ip.localAddress(), remote);
            if (layer.trace().enabled()) {
                layer.trace().bareOut(IpAddress.v4(ip.localAddress()), IpAddress.v4(remote), localPort, remotePort, buf,
                        t, tcpLength);
            }
            ip.send(queue, buf, IpProtocol.TCP, remote, true, 0);
            return;
        }
        IpAddress local = ip.localAddress(IpAddress.V6_UNSPECIFIED);
        buf.setShort(t + 16, Checksum.fold(Checksum.sum(buf, t, tcpLength,
                Checksum.pseudoHeader6(local.hi(), local.lo(), remoteHi, remoteLo, IpProtocol.TCP, tcpLength))));
        if (layer.trace().enabled()) {
            layer.trace().bareOut(local, IpAddress.of(remoteHi, remoteLo), localPort, remotePort, buf, t, tcpLength);
        }
        int label = flowLabel >= 0 ? flowLabel : ip.flowLabel(remoteHi, remoteLo, localPort << 16 | remotePort);
        ip.send6(queue, buf, IpProtocol.TCP, remoteHi, remoteLo, label, 0, ip.defaultHopLimit());
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
