package io.tcpstack.tcp;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.TcpOptions;
import io.tcpstack.wire.TcpView;

/**
 * An inbound segment being processed: the fields of RFC 9293 3.3.1 (SEG.SEQ, SEG.ACK, SEG.LEN,
 * SEG.WND) decoded once from the header view. One instance per queue, reused; valid only while
 * the packet is being processed.
 */
final class Segment {
    final TcpView tcp = new TcpView();
    final TcpOptions options = new TcpOptions();
    int queue;
    int source;
    int sourcePort;
    int destinationPort;
    int seq;
    int ack;
    int flags;
    /** Raw window field (unscaled). */
    int window;
    ByteBuf buf;
    int payloadIndex;
    int payloadLength;
    /** The IP header's ECN bits (RFC 3168 5). */
    int ipEcn;

    void load(int queue, int source, ByteBuf buf, int offset, int length) {
        this.queue = queue;
        this.source = source;
        this.buf = buf;
        tcp.wrap(buf, offset, length);
        sourcePort = tcp.sourcePort();
        destinationPort = tcp.destinationPort();
        seq = tcp.seq();
        ack = tcp.ack();
        flags = tcp.flags();
        window = tcp.window();
        payloadIndex = tcp.payloadOffset();
        payloadLength = tcp.payloadLength();
        options.parse(buf, tcp.optionsOffset(), tcp.optionsLength(), (flags & TcpView.SYN) != 0);
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** SEG.LEN: payload plus SYN plus FIN. */
    int length() {
        return payloadLength + (has(TcpView.SYN) ? 1 : 0) + (has(TcpView.FIN) ? 1 : 0);
    }

    /** Sequence number just past the segment (Linux end_seq). */
    int endSeq() {
        return seq + length();
    }

    @Override
    public String toString() {
        return TcpView.flagString(flags) + " seq=" + Integer.toUnsignedString(seq) + " ack="
                + Integer.toUnsignedString(ack) + " win=" + window + " len=" + payloadLength;
    }
}
