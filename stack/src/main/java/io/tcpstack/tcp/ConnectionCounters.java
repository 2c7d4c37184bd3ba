package io.tcpstack.tcp;

import io.tcpstack.wire.TcpView;

/**
 * What {@code ctl conns -i} shows of a connection that no protocol variable holds: Linux
 * tcp_info's segment counts (tcpi_segs_out/in, tcpi_data_segs_out/in), how long ago data was
 * last sent, received and acknowledged (lastsnd, lastrcv, lastack), and when the handshake's
 * first SYN left and the connection was established. Fed from two places: every segment the
 * connection sends ({@link #sent}) and every segment it processes ({@link #received}). Under the
 * Tcb lock.
 */
final class ConnectionCounters {
    long segsOut;
    long segsIn;
    long dataSegsOut;
    long dataSegsIn;
    long lastSendNanos;
    long lastRecvNanos;
    long lastAckNanos;
    /** Stack clock when the first SYN (or SYN-ACK) left and when the connection was established; 0 before. */
    long synSentNanos;
    long establishedNanos;

    /** One segment with {@code dataLength} bytes goes out; the first SYN stamps the handshake's start. */
    void sent(int dataLength, int flags, long nowNanos) {
        segsOut++;
        if ((flags & TcpView.SYN) != 0 && synSentNanos == 0) {
            synSentNanos = nowNanos;
        }
        if (dataLength > 0) {
            dataSegsOut++;
            lastSendNanos = nowNanos;
        }
    }

    /** One segment was processed. */
    void received(Segment seg, long nowNanos) {
        segsIn++;
        if (seg.payloadLength > 0) {
            dataSegsIn++;
            lastRecvNanos = nowNanos;
        }
        if (seg.has(TcpView.ACK)) {
            lastAckNanos = nowNanos;
        }
    }
}
