package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A flyweight view of a TCP header (RFC 9293 3.1) over a ByteBuf at absolute indexes: no copy,
 * no allocation. The caller checks lengths first ({@link #MIN_HEADER_LENGTH}, {@link #dataOffset()}).
 */
public final class TcpView {
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    private ByteBuf buf;
    private int offset;
    private int length;

    /** Views the {@code length} bytes of TCP header and payload at {@code offset}. */
    public TcpView wrap(ByteBuf buf, int offset, int length) {
        this.buf = buf;
        this.offset = offset;
        this.length = length;
        return this;
    }

    public ByteBuf buf() {
        return buf;
    }

    public int offset() {
        return offset;
    }

    /** Header plus payload. */
    public int length() {
        return length;
    }

    public int sourcePort() {
        return buf.getUnsignedShort(offset);
    }

    public int destinationPort() {
        return buf.getUnsignedShort(offset + 2);
    }

    public int seq() {
        return buf.getInt(offset + 4);
    }

    public int ack() {
        return buf.getInt(offset + 8);
    }

    /** Header length in bytes (data offset x 4). */
    public int dataOffset() {
        return (buf.getUnsignedByte(offset + 12) >>> 4) * 4;
    }

    public int flags() {
        return buf.getUnsignedByte(offset + 13);
    }

    public boolean has(int flag) {
        return (flags() & flag) != 0;
    }

    public int window() {
        return buf.getUnsignedShort(offset + 14);
    }

    public int checksum() {
        return buf.getUnsignedShort(offset + 16);
    }

    public int optionsOffset() {
        return offset + MIN_HEADER_LENGTH;
    }

    public int optionsLength() {
        return dataOffset() - MIN_HEADER_LENGTH;
    }

    public int payloadOffset() {
        return offset + dataOffset();
    }

    public int payloadLength() {
        return length - dataOffset();
    }

    /** True when the checksum over pseudo-header, header and payload verifies (RFC 9293 3.1). */
    public boolean checksumValid(int source, int destination) {
        long sum = Checksum.pseudoHeader(source, destination, IpProtocol.TCP, length);
        return Checksum.fold(Checksum.sum(buf, offset, length, sum)) == 0;
    }

    /** Writes the fixed 20 bytes; the data offset covers {@code optionsLength} more (a multiple of 4). */
    public static void writeHeader(ByteBuf buf, int offset, int sourcePort, int destinationPort, int seq,
            int ack, int optionsLength, int flags, int window) {
        buf.setShort(offset, sourcePort);
        buf.setShort(offset + 2, destinationPort);
        buf.setInt(offset + 4, seq);
        buf.setInt(offset + 8, ack);
        buf.setByte(offset + 12, ((MIN_HEADER_LENGTH + optionsLength) / 4) << 4);
        buf.setByte(offset + 13, flags);
        buf.setShort(offset + 14, window);
        buf.setShort(offset + 16, 0);
        buf.setShort(offset + 18, 0);
    }

    /** Computes and stores the checksum over the {@code length} bytes of segment at {@code offset}. */
    public static void fillChecksum(ByteBuf buf, int offset, int length, int source, int destination) {
        long sum = Checksum.pseudoHeader(source, destination, IpProtocol.TCP, length);
        buf.setShort(offset + 16, Checksum.fold(Checksum.sum(buf, offset, length, sum)));
    }

    /** tcpdump-style flags: "S", "S.", ".", "F.", "R", "R.", "P." ... */
    public static String flagString(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & SYN) != 0) {
            sb.append('S');
        }
        if ((flags & FIN) != 0) {
            sb.append('F');
        }
        if ((flags & RST) != 0) {
            sb.append('R');
        }
        if ((flags & PSH) != 0) {
            sb.append('P');
        }
        if ((flags & URG) != 0) {
            sb.append('U');
        }
        if ((flags & ECE) != 0) {
            sb.append('E');
        }
        if ((flags & CWR) != 0) {
            sb.append('W');
        }
        if ((flags & ACK) != 0) {
            sb.append('.');
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }
}
