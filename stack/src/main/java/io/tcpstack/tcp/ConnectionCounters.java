package io.tcpstack.tcp;

import io.tcpstack.wire.TcpView;

/**
 * A connection's running totals for {@code ctl conns -i}, the 64-bit counters of Linux's
 * tcp_info that no protocol variable holds (tcpi_bytes_sent, tcpi_bytes_retrans,
 * tcpi_total_retrans, tcpi_segs_out/in, tcpi_delivery_rate, ...), and when the handshake's SYN
 * went and the connection was established. Fed from two places only: every segment the
 * connection sends ({@link #sent}) and every segment it processes ({@link #received}). Under the
 * Tcb lock.
 */
final class ConnectionCounters {
    long bytesSent;
    long bytesRetrans;
    long retransTotal;
    long bytesReceived;
    long segsOut;
    long segsIn;
    long dataSegsOut;
    long dataSegsIn;
    long lastSendNanos;
    long lastRecvNanos;
    long lastAckNanos;
    /** Bytes the peer acknowledged per second over the last round trip or more (Linux delivery_rate). */
    long deliveryRate;
    private long rateStartNanos;
    private int rateStartUna;
    /** Stack clock when the first SYN (or SYN-ACK) left and when the connection was established; 0 before. */
    long synSentNanos;
    long establishedNanos;

    /**
     * One segment of {@code dataLength} bytes at {@code seq} goes out. Data that starts below
     * snd.max (snd.max as it was before this segment) is a retransmission, as Linux counts it.
     * The first SYN (or SYN-ACK) stamps the start of the handshake.
     */
    void sent(Tcb tcb, int seq, int dataLength, int flags, long nowNanos) {
        segsOut++;
        if ((flags & TcpView.SYN) != 0 && synSentNanos == 0) {
            synSentNanos = nowNanos;
        }
        if (dataLength > 0) {
            dataSegsOut++;
            bytesSent += dataLength;
            if (SeqNum.lt(seq, tcb.sndMax)) {
                bytesRetrans += Math.min(dataLength, tcb.sndMax - seq);
                retransTotal++;
            }
            lastSendNanos = nowNanos;
        }
    }

    /**
     * One segment was processed: what it delivered in order ({@code rcvNxtBefore} to rcv.nxt,
     * less its FIN), and, when it moved snd.una, a delivery-rate sample once a round trip passed.
     */
    void received(Tcb tcb, Segment seg, int rcvNxtBefore, boolean finBefore, int unaBefore, long nowNanos) {
        segsIn++;
        if (seg.payloadLength > 0) {
            dataSegsIn++;
            lastRecvNanos = nowNanos;
        }
        if (seg.has(TcpView.ACK)) {
            lastAckNanos = nowNanos;
        }
        if (establishedNanos != 0 && !seg.has(TcpView.SYN)) {
            bytesReceived += Math.max(0, tcb.rcvNxt - rcvNxtBefore - (tcb.finReceived && !finBefore ? 1 : 0));
        }
        if (tcb.sndUna != unaBefore) {
            if (rateStartNanos == 0) {
                rateStartNanos = nowNanos;
                rateStartUna = unaBefore;
            }
            long elapsed = nowNanos - rateStartNanos;
            if (elapsed >= Math.max(tcb.rtt.srttMicros() * 1000, 1_000_000L)) {
                deliveryRate = (long) ((tcb.sndUna - rateStartUna) * 1e9 / elapsed);
                rateStartNanos = nowNanos;
                rateStartUna = tcb.sndUna;
            }
        }
    }

    /** Data bytes the peer acknowledged: all new data sent less what is still unacknowledged. */
    long bytesAcked(Tcb tcb) {
        return Math.max(0, bytesSent - bytesRetrans - Math.min(tcb.sndMax - tcb.sndUna, tcb.sendBuffer.size()));
    }
}
