package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.tcpstack.trace.SegmentText;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Address;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.TcpView;

/**
 * What a {@link FaultRule} looks at in one TCP segment crossing the link, seen from the stack:
 * {@code local} is the stack's end (the source of a segment going out, the destination of one
 * coming in). Read once per packet from the IPv4 and TCP headers; {@link #relativeSeq} and
 * {@link #retransmission} come from the link's {@link FlowTable}.
 */
final class FaultPacket {
    final boolean out;
    final int localAddress;
    final int localPort;
    final int remoteAddress;
    final int remotePort;
    final int flags;
    final int seq;
    final int ack;
    final int window;
    final int payloadLength;
    /** seq less the ISN of this direction, or -1 when the link has not seen the SYN. */
    long relativeSeq = -1;
    /** The segment's end is not above the highest sequence the link has seen in its direction. */
    boolean retransmission;

    private FaultPacket(boolean out, int localAddress, int localPort, int remoteAddress, int remotePort, int flags,
            int seq, int ack, int window, int payloadLength) {
        this.out = out;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.flags = flags;
        this.seq = seq;
        this.ack = ack;
        this.window = window;
        this.payloadLength = payloadLength;
    }

    /** The TCP segment in {@code packet} (an IPv4 packet), or null if it is none a rule could describe. */
    static FaultPacket parse(ByteBuf packet, boolean out) {
        int ip = packet.readerIndex();
        int length = packet.readableBytes();
        if (length < Ipv4View.MIN_HEADER_LENGTH + TcpView.MIN_HEADER_LENGTH
                || (packet.getUnsignedByte(ip) >>> 4) != 4 || packet.getUnsignedByte(ip + 9) != IpProtocol.TCP) {
            return null;
        }
        int ihl = (packet.getUnsignedByte(ip) & 0x0f) * 4;
        int total = Math.min(packet.getUnsignedShort(ip + 2), length);
        if (ihl < Ipv4View.MIN_HEADER_LENGTH || total < ihl + TcpView.MIN_HEADER_LENGTH) {
            return null;
        }
        int t = ip + ihl;
        int dataOffset = (packet.getUnsignedByte(t + 12) >>> 4) * 4;
        if (dataOffset < TcpView.MIN_HEADER_LENGTH || ihl + dataOffset > total) {
            return null;
        }
        int source = packet.getInt(ip + 12);
        int destination = packet.getInt(ip + 16);
        int sourcePort = packet.getUnsignedShort(t);
        int destinationPort = packet.getUnsignedShort(t + 2);
        return new FaultPacket(out, out ? source : destination, out ? sourcePort : destinationPort,
                out ? destination : source, out ? destinationPort : sourcePort, packet.getUnsignedByte(t + 13),
                packet.getInt(t + 4), packet.getInt(t + 8), packet.getUnsignedShort(t + 14),
                total - ihl - dataOffset);
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Sequence space the segment occupies: its data, and one each for SYN and FIN. */
    int sequenceLength() {
        return payloadLength + (has(TcpView.SYN) ? 1 : 0) + (has(TcpView.FIN) ? 1 : 0);
    }

    /** "198.18.0.2:80 198.18.0.1:40000", as trace events name a connection. */
    String connection() {
        return Ipv4Address.format(localAddress) + ":" + localPort + " " + Ipv4Address.format(remoteAddress) + ":"
                + remotePort;
    }

    /**
     * "out P. seq=1 ack=1 win=501 len=1448 rel=14481", the segment in {@code packet} as the stack's
     * own trace lines show it ({@link SegmentText}: a ladder pairs the two), then where it falls.
     */
    String describe(ByteBuf packet) {
        return (out ? "out " : "in ") + SegmentText.ofPacket(packet) + (relativeSeq >= 0 ? " rel=" + relativeSeq : "")
                + (retransmission ? " (retransmission)" : "");
    }
}
