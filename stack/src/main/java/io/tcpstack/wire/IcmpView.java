package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;

/** A flyweight view of an ICMP message (RFC 792) over a ByteBuf. */
public final class IcmpView {
    public static final int HEADER_LENGTH = 8;
    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DEST_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    public static final int CODE_PORT_UNREACHABLE = 3;

    private ByteBuf buf;
    private int offset;

    public IcmpView wrap(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
        return this;
    }

    public int type() {
        return buf.getUnsignedByte(offset);
    }

    public int code() {
        return buf.getUnsignedByte(offset + 1);
    }

    public int checksum() {
        return buf.getUnsignedShort(offset + 2);
    }

    /** Echo identifier (echo request/reply only). */
    public int identifier() {
        return buf.getUnsignedShort(offset + 4);
    }

    /** Echo sequence number (echo request/reply only). */
    public int sequence() {
        return buf.getUnsignedShort(offset + 6);
    }

    public void setType(int type) {
        buf.setByte(offset, type);
    }

    public void setCode(int code) {
        buf.setByte(offset + 1, code);
    }

    public void setChecksum(int checksum) {
        buf.setShort(offset + 2, checksum);
    }

    /** The 4 bytes after type, code and checksum (echo id+seq, or unused/next-hop MTU). */
    public void setRestOfHeader(int value) {
        buf.setInt(offset + 4, value);
    }

    /** Computes and stores the checksum over {@code length} bytes of message. */
    public void fillChecksum(int length) {
        setChecksum(0);
        setChecksum(Checksum.compute(buf, offset, length));
    }
}
