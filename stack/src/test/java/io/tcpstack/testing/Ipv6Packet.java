package io.tcpstack.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.wire.Checksum;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds raw IPv6 packets from the scripted peer for input tests: the fixed header, extension
 * headers chained in order (each one's Next Header set to what follows), and an upper-layer
 * message whose checksum is filled over the pseudo-header. Every field can be spoilt.
 */
public final class Ipv6Packet {
    private IpAddress source = PacketHarness.PEER6;
    private IpAddress destination = PacketHarness.STACK6;
    private int hopLimit = 64;
    private int trafficClass;
    private final List<int[]> headers = new ArrayList<>();
    private final List<byte[]> headerBytes = new ArrayList<>();
    private int protocol = IpProtocol.NONE;
    private byte[] upper = new byte[0];
    private int checksumAt = -1;
    private Integer payloadLength;
    private int trailing;

    public static Ipv6Packet from(IpAddress source) {
        return new Ipv6Packet().source(source);
    }

    public static Ipv6Packet toStack() {
        return new Ipv6Packet();
    }

    public Ipv6Packet source(IpAddress a) {
        source = a;
        return this;
    }

    public Ipv6Packet destination(IpAddress a) {
        destination = a;
        return this;
    }

    public Ipv6Packet destination(String a) {
        return destination(IpAddress.parse(a));
    }

    public Ipv6Packet hopLimit(int h) {
        hopLimit = h;
        return this;
    }

    public Ipv6Packet trafficClass(int tc) {
        trafficClass = tc;
        return this;
    }

    /** Overrides the payload length field (default: what the packet holds). */
    public Ipv6Packet payloadLength(int length) {
        payloadLength = length;
        return this;
    }

    /** Bytes after the payload that the payload length does not cover. */
    public Ipv6Packet trailing(int bytes) {
        trailing = bytes;
        return this;
    }

    /** An extension header of {@code type} with {@code body} after its Next Header and Hdr Ext Len bytes. */
    public Ipv6Packet extension(int type, byte... body) {
        byte[] h = new byte[2 + body.length];
        System.arraycopy(body, 0, h, 2, body.length);
        h[1] = (byte) ((h.length + 7) / 8 - 1);
        headers.add(new int[] {type});
        headerBytes.add(h);
        return this;
    }

    /** An extension header of {@code type} given whole (its length byte as written). */
    public Ipv6Packet rawExtension(int type, byte... whole) {
        headers.add(new int[] {type});
        headerBytes.add(whole.clone());
        return this;
    }

    /** Hop-by-hop or destination options: {@code options} padded with PadN to a multiple of 8. */
    public Ipv6Packet options(int type, byte... options) {
        int length = 2 + options.length;
        int pad = (8 - length % 8) % 8;
        byte[] body = new byte[options.length + pad];
        System.arraycopy(options, 0, body, 0, options.length);
        if (pad == 1) {
            body[options.length] = 0;
        } else if (pad > 1) {
            body[options.length] = 1;
            body[options.length + 1] = (byte) (pad - 2);
        }
        return extension(type, body);
    }

    /** A fragment header: offset in bytes (a multiple of 8), more fragments, identification. */
    public Ipv6Packet fragment(int offset, boolean more, int id) {
        return rawExtension(IpProtocol.FRAGMENT, (byte) 0, (byte) 0, (byte) (offset >>> 8), (byte) (offset | (more ? 1 : 0)),
                (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id);
    }

    /** The upper-layer part: {@code protocol}, its bytes, and where its checksum goes (-1: none, or as given). */
    public Ipv6Packet upper(int protocol, byte[] bytes, int checksumAt) {
        this.protocol = protocol;
        this.upper = bytes.clone();
        this.checksumAt = checksumAt;
        return this;
    }

    /** An ICMPv6 message: type, code, the 32-bit field, data; checksum filled. */
    public Ipv6Packet icmp(int type, int code, int rest, byte[] data) {
        byte[] m = new byte[8 + data.length];
        m[0] = (byte) type;
        m[1] = (byte) code;
        m[4] = (byte) (rest >>> 24);
        m[5] = (byte) (rest >>> 16);
        m[6] = (byte) (rest >>> 8);
        m[7] = (byte) rest;
        System.arraycopy(data, 0, m, 8, data.length);
        return upper(IpProtocol.ICMPV6, m, 2);
    }

    /** An echo request with {@code identifier}, {@code sequence} and {@code data}. */
    public Ipv6Packet echoRequest(int identifier, int sequence, byte[] data) {
        return icmp(128, 0, identifier << 16 | sequence, data);
    }

    /** A UDP datagram from port 5353 to {@code port} (checksum filled unless {@code zeroChecksum}). */
    public Ipv6Packet udp(int port, byte[] data, boolean zeroChecksum) {
        byte[] d = new byte[8 + data.length];
        d[0] = 0x14;
        d[1] = (byte) 0xe9;
        d[2] = (byte) (port >>> 8);
        d[3] = (byte) port;
        d[4] = (byte) (d.length >>> 8);
        d[5] = (byte) d.length;
        System.arraycopy(data, 0, d, 8, data.length);
        return upper(IpProtocol.UDP, d, zeroChecksum ? -1 : 6);
    }

    public byte[] build() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < headers.size(); i++) {
            byte[] h = headerBytes.get(i).clone();
            h[0] = (byte) (i + 1 < headers.size() ? headers.get(i + 1)[0] : protocol);
            body.writeBytes(h);
        }
        int upperAt = body.size();
        body.writeBytes(upper);
        byte[] payload = body.toByteArray();
        ByteBuf p = Unpooled.buffer(Ipv6View.HEADER_LENGTH + payload.length + trailing);
        p.writerIndex(Ipv6View.HEADER_LENGTH);
        p.writeBytes(payload);
        p.writeZero(trailing);
        int first = headers.isEmpty() ? protocol : headers.get(0)[0];
        Ipv6View.writeHeader(p, 0, trafficClass, 0, payloadLength != null ? payloadLength : payload.length, first,
                hopLimit, source.hi(), source.lo(), destination.hi(), destination.lo());
        if (checksumAt >= 0) {
            int at = Ipv6View.HEADER_LENGTH + upperAt;
            p.setShort(at + checksumAt, 0);
            long pseudo = Checksum.pseudoHeader6(source.hi(), source.lo(), destination.hi(), destination.lo(), protocol,
                    upper.length);
            p.setShort(at + checksumAt, Checksum.fold(Checksum.sum(p, at, upper.length, pseudo)));
        }
        byte[] out = new byte[p.readableBytes()];
        p.getBytes(0, out);
        return out;
    }
}
