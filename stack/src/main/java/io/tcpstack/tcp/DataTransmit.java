package io.tcpstack.tcp;

import io.tcpstack.ip.IpOutput;
import io.tcpstack.profile.TcpSettings;
import io.tcpstack.stats.Counter;
import io.tcpstack.tcp.congestion.CongestionState;
import io.tcpstack.tcp.congestion.CwndEvent;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;

/**
 * Data out (Linux tcp_output.c tcp_write_xmit, tcp_retransmit_skb, tcp_write_wakeup): the send
 * loop that sends new data while cwnd, the peer's window, Nagle (RFC 896) and sender-side SWS
 * avoidance allow, each segment onto the {@link RetransmitQueue}; the retransmission of a queued
 * segment; and the data a persist timer sends into a window that has opened a little. The
 * segments themselves are built by {@link TcpOutput#transmit}. Runs under the Tcb lock.
 */
final class DataTransmit {
    private DataTransmit() {}

    /** Sends what the windows allow (Linux tcp_push_pending_frames); arms the persist timer when the peer's window stops it. */
    static void push(Tcb tcb) {
        if (!writeXmit(tcb, false)) {
            TcpTimers.checkPersist(tcb);
        }
    }

    /**
     * The tail loss probe's new data (Linux tcp_write_xmit with push_one 2): one segment if the
     * peer's window has room, whatever cwnd and Nagle say. False if none could go.
     */
    static boolean sendNewSegment(Tcb tcb) {
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
    private static boolean writeXmit(Tcb tcb, boolean probe) {
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
                tcb.layer.trace().nagle(tcb, length);
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
        tcb.cong.lastSendMs = tcb.layer.nowMs();
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
    private static void slowStartAfterIdle(Tcb tcb) {
        CongestionState c = tcb.congestion();
        tcb.cc.cwndEvent(c, CwndEvent.TX_START);
        long idle = tcb.layer.nowMs() - c.lastSendMs;
        long rto = tcb.rtt.rtoMicros() / 1000;
        if (!tcb.layer.settings().slowStartAfterIdle || c.lastSendMs == 0 || idle <= rto) {
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
    private static int transmitNew(Tcb tcb, int length, int flags) {
        boolean fin = (flags & TcpView.FIN) != 0;
        int seq = tcb.sndNxt;
        tcb.layer.output().transmit(tcb, seq, flags, tcb.dataInFlight(), length);
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
        tcb.lastActivityMs = tcb.layer.nowMs();
        return segments;
    }

    /**
     * The time a transmission is stamped with (Linux skb_mstamp_ns): the clock, but always after
     * the connection's previous transmission, so that RACK's "sent after" follows the order of
     * transmissions also when the clock has not moved between them (virtual time, a coarse clock).
     */
    private static long sendTime(Tcb tcb) {
        long now = Math.max(tcb.layer.clock().nanos(), tcb.lastSentNanos + 1);
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
    private static int sendBurst(Tcb tcb) {
        IpOutput ip = tcb.layer.ip();
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
    static boolean retransmit(Tcb tcb, int slot, boolean inFlight) {
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
            tcb.layer.output().transmit(tcb, start + sent, last ? flags : TcpView.ACK, start - tcb.sndUna + sent, part);
            sent += part;
            if (last) {
                break;
            }
        }
        long now = sendTime(tcb);
        q.sentAgain(slot, now, inFlight, tcb.delivered, tcb.deliveredNanos);
        tcb.layer.stats().inc(Counter.TcpRetransSegs);
        tcb.totalRetrans++;
        tcb.bytesRetrans += length;
        tcb.bytesSent += length; // Linux tcpi_bytes_sent (RFC 4898 HCDataOctetsOut) counts retransmitted data too
        if (inFlight) {
            if (tcb.retransStampMs == 0) {
                tcb.retransStampMs = tcb.layer.nowMs();
            }
            tcb.undoRetrans = Math.max(tcb.undoRetrans, 0) + 1;
        }
        return true;
    }

    /**
     * Linux tcp_write_wakeup, from the persist timer: when the peer's window has opened but not
     * enough for a full segment, a segment of what fits goes. False if the window is closed.
     */
    static boolean sendIntoWindow(Tcb tcb) {
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
}
