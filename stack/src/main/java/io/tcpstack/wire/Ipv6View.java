package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A flyweight view of an IPv6 packet (RFC 8200 3) over a ByteBuf: the fixed 40-byte header at
 * absolute indexes, and where {@link io.tcpstack.ip.Ipv6Input} found the upper-layer header after
 * walking the extension headers ({@link #protocol()}, {@link #payloadOffset()}, {@link
 * #payloadLength()}). One instance per queue, reused; no allocation.
 */
public final class Ipv6View {
    public static final int HEADER_LENGTH = 40;
    /** RFC 8200 5: every link carries packets of 1280 bytes. */
    public static final int MIN_MTU = 1280;
    /** RFC 6437: the flow label's 20 bits. */
    public static final int FLOW_LABEL_MASK = 0xfffff;

    private ByteBuf buf;
    private int offset;
    private int protocol;
    private int payloadOffset;
    private int payloadLength;

    public Ipv6View wrap(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
        this.protocol = nextHeader();
        this.payloadOffset = offset + HEADER_LENGTH;
        this.payloadLength = declaredPayloadLength();
        return this;
    }

    /** Sets the upper-layer header found after the extension headers. */
    public void setUpperLayer(int protocol, int payloadOffset, int payloadLength) {
        this.protocol = protocol;
        this.payloadOffset = payloadOffset;
        this.payloadLength = payloadLength;
    }

    public ByteBuf buf() {
        return buf;
    }

    public int offset() {
        return offset;
    }

    public int version() {
        return buf.getUnsignedByte(offset) >>> 4;
    }

    public int trafficClass() {
        return (buf.getUnsignedShort(offset) >>> 4) & 0xff;
    }

    public int flowLabel() {
        return buf.getInt(offset) & FLOW_LABEL_MASK;
    }

    /** The payload length field: the bytes after the fixed header, extension headers included. */
    public int declaredPayloadLength() {
        return buf.getUnsignedShort(offset + 4);
    }

    /** The Next Header field of the fixed header. */
    public int nextHeader() {
        return buf.getUnsignedByte(offset + 6);
    }

    public int hopLimit() {
        return buf.getUnsignedByte(offset + 7);
    }

    public long sourceHi() {
        return buf.getLong(offset + 8);
    }

    public long sourceLo() {
        return buf.getLong(offset + 16);
    }

    public long destinationHi() {
        return buf.getLong(offset + 24);
    }

    public long destinationLo() {
        return buf.getLong(offset + 32);
    }

    public IpAddress source() {
        return IpAddress.of(sourceHi(), sourceLo());
    }

    public IpAddress destination() {
        return IpAddress.of(destinationHi(), destinationLo());
    }

    /** The upper-layer protocol (TCP, UDP, ICMPv6) after the extension headers. */
    public int protocol() {
        return protocol;
    }

    /** Where the upper-layer header starts. */
    public int payloadOffset() {
        return payloadOffset;
    }

    /** Bytes of upper-layer header and data. */
    public int payloadLength() {
        return payloadLength;
    }

    /** The packet's bytes from the fixed header to the end of its payload. */
    public int totalLength() {
        return HEADER_LENGTH + declaredPayloadLength();
    }

    /** The upper-layer pseudo-header sum (RFC 8200 8.1) for this packet's upper-layer payload. */
    public long pseudoHeader(int protocol, int length) {
        return Checksum.pseudoHeader6(sourceHi(), sourceLo(), destinationHi(), destinationLo(), protocol, length);
    }

    /** Writes the fixed header. {@code payloadLength} excludes the 40 header bytes. */
    public static void writeHeader(ByteBuf buf, int offset, int trafficClass, int flowLabel, int payloadLength,
            int nextHeader, int hopLimit, long srcHi, long srcLo, long dstHi, long dstLo) {
        buf.setInt(offset, (6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & FLOW_LABEL_MASK));
        buf.setShort(offset + 4, payloadLength);
        buf.setByte(offset + 6, nextHeader);
        buf.setByte(offset + 7, hopLimit);
        buf.setLong(offset + 8, srcHi);
        buf.setLong(offset + 16, srcLo);
        buf.setLong(offset + 24, dstHi);
        buf.setLong(offset + 32, dstLo);
    }
}
