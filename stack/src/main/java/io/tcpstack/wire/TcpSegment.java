package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Arrays;

/**
 * A validated TCP segment as a value (smoltcp's TcpRepr): for tests, scripted peers and traces.
 * The engine's hot path uses {@link TcpView}; this record allocates.
 *
 * @param source source address, of either family (IPv4 ones IPv4-mapped)
 * @param destination destination address, of the same family
 * @param options options as parsed (null for none)
 */
public record TcpSegment(IpAddress source, IpAddress destination, int srcPort, int dstPort, int seq, int ack, int flags,
        int window, Options options, byte[] payload) {

    /** A segment between two IPv4 addresses (big-endian ints). */
    public TcpSegment(int src, int dst, int srcPort, int dstPort, int seq, int ack, int flags, int window,
            Options options, byte[] payload) {
        this(IpAddress.v4(src), IpAddress.v4(dst), srcPort, dstPort, seq, ack, flags, window, options, payload);
    }

    /** The IPv4 source address as a big-endian int (IPv4 segments only). */
    public int src() {
        return source.v4();
    }

    /** The IPv4 destination address as a big-endian int (IPv4 segments only). */
    public int dst() {
        return destination.v4();
    }

    public boolean isV6() {
        return !source.isV4();
    }

    /** Options as a value; absent ones are -1 / false / null. */
    public record Options(int mss, int wscale, boolean sackPermitted, Long tsVal, Long tsEcr, int[] sackBlocks) {
        public static final Options NONE = new Options(-1, -1, false, null, null, new int[0]);

        public static Options timestamps(long tsVal, long tsEcr) {
            return new Options(-1, -1, false, tsVal, tsEcr, new int[0]);
        }

        public static Options syn(int mss, int wscale, boolean sackPermitted, Long tsVal, Long tsEcr) {
            return new Options(mss, wscale, sackPermitted, tsVal, tsEcr, new int[0]);
        }

        static Options of(TcpOptions o) {
            return new Options(o.mss, o.wscale, o.sackPermitted,
                    o.hasTimestamp ? Integer.toUnsignedLong(o.tsVal) : null,
                    o.hasTimestamp ? Integer.toUnsignedLong(o.tsEcr) : null,
                    Arrays.copyOf(o.sackBlocks, 2 * o.sackBlockCount));
        }

        boolean isEmpty() {
            return mss < 0 && wscale < 0 && !sackPermitted && tsVal == null && sackBlocks.length == 0;
        }
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    public int payloadLength() {
        return payload.length;
    }

    /**
     * Parses a whole IPv4 packet, or IPv6 packet without extension headers, carrying TCP; throws
     * IllegalArgumentException if it is not one.
     */
    public static TcpSegment parse(ByteBuf ipPacket) {
        int start = ipPacket.readerIndex();
        IpAddress source;
        IpAddress destination;
        TcpView tcp = new TcpView();
        if ((ipPacket.getUnsignedByte(start) >>> 4) == 6) {
            Ipv6View ip = new Ipv6View().wrap(ipPacket, start);
            if (ip.nextHeader() != IpProtocol.TCP) {
                throw new IllegalArgumentException("not TCP: next header " + ip.nextHeader());
            }
            source = ip.source();
            destination = ip.destination();
            tcp.wrap(ipPacket, ip.payloadOffset(), ip.payloadLength());
        } else {
            Ipv4View ip = new Ipv4View().wrap(ipPacket, start);
            if (ip.protocol() != IpProtocol.TCP) {
                throw new IllegalArgumentException("not TCP: protocol " + ip.protocol());
            }
            source = IpAddress.v4(ip.source());
            destination = IpAddress.v4(ip.destination());
            tcp.wrap(ipPacket, ip.payloadOffset(), ip.payloadLength());
        }
        TcpOptions options = new TcpOptions().parse(ipPacket, tcp.optionsOffset(), tcp.optionsLength(), tcp.has(TcpView.SYN));
        byte[] payload = new byte[tcp.payloadLength()];
        ipPacket.getBytes(tcp.payloadOffset(), payload);
        return new TcpSegment(source, destination, tcp.sourcePort(), tcp.destinationPort(),
                tcp.seq(), tcp.ack(), tcp.flags(), tcp.window(), Options.of(options), payload);
    }

    /** Builds the whole packet with correct checksums: IPv4 with TTL 64 and DF, or IPv6 with hop limit 64. */
    public ByteBuf emit(ByteBufAllocator alloc) {
        int optionsLength = optionsLength();
        int tcpLength = TcpView.MIN_HEADER_LENGTH + optionsLength + payload.length;
        int t = isV6() ? Ipv6View.HEADER_LENGTH : Ipv4View.MIN_HEADER_LENGTH;
        int total = t + tcpLength;
        ByteBuf buf = alloc.buffer(total);
        buf.writerIndex(total);
        if (isV6()) {
            Ipv6View.writeHeader(buf, 0, 0, 0, tcpLength, IpProtocol.TCP, 64, source.hi(), source.lo(),
                    destination.hi(), destination.lo());
        } else {
            Ipv4View.writeHeader(buf, 0, total, 0, true, 64, IpProtocol.TCP, src(), dst());
        }
        TcpView.writeHeader(buf, t, srcPort, dstPort, seq, ack, optionsLength, flags, window);
        writeOptions(buf, t + TcpView.MIN_HEADER_LENGTH, optionsLength);
        buf.setBytes(t + TcpView.MIN_HEADER_LENGTH + optionsLength, payload);
        TcpView.fillChecksum(buf, t, tcpLength, source, destination);
        return buf;
    }

    private int optionsLength() {
        if (options == null || options.isEmpty()) {
            return 0;
        }
        if (has(TcpView.SYN)) {
            return TcpOptions.synLength(options.mss >= 0, options.sackPermitted, options.tsVal != null, options.wscale >= 0);
        }
        int length = options.tsVal != null ? TcpOptions.TIMESTAMP_LENGTH_ALIGNED : 0;
        return length + (options.sackBlocks.length > 0 ? 4 + 4 * options.sackBlocks.length : 0);
    }

    private void writeOptions(ByteBuf buf, int offset, int length) {
        if (length == 0) {
            return;
        }
        int tsVal = options.tsVal == null ? 0 : options.tsVal.intValue();
        int tsEcr = options.tsEcr == null ? 0 : options.tsEcr.intValue();
        if (has(TcpView.SYN)) {
            TcpOptions.writeSyn(buf, offset, options.mss, options.sackPermitted, options.tsVal != null,
                    tsVal, tsEcr, options.wscale);
            return;
        }
        int i = offset;
        if (options.tsVal != null) {
            i += TcpOptions.writeTimestamp(buf, i, tsVal, tsEcr);
        }
        if (options.sackBlocks.length > 0) {
            TcpOptions.writeSack(buf, i, options.sackBlocks, options.sackBlocks.length / 2);
        }
    }

    /** tcpdump-like: "198.18.0.1.40000 > 198.18.0.2.80: S seq=1 ack=0 win=64240 [mss 1460,...] len=0". */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(source).append('.').append(srcPort).append(" > ")
                .append(destination).append('.').append(dstPort).append(": ")
                .append(TcpView.flagString(flags))
                .append(" seq=").append(Integer.toUnsignedString(seq))
                .append(" ack=").append(Integer.toUnsignedString(ack))
                .append(" win=").append(window);
        if (options != null && !options.isEmpty()) {
            sb.append(" [");
            if (options.mss >= 0) {
                sb.append("mss ").append(options.mss).append(',');
            }
            if (options.sackPermitted) {
                sb.append("sackOK,");
            }
            if (options.tsVal != null) {
                sb.append("TS val ").append(options.tsVal).append(" ecr ").append(options.tsEcr).append(',');
            }
            if (options.wscale >= 0) {
                sb.append("wscale ").append(options.wscale).append(',');
            }
            if (options.sackBlocks.length > 0) {
                sb.append("sack ").append(options.sackBlocks.length / 2).append(',');
            }
            sb.setLength(sb.length() - 1);
            sb.append(']');
        }
        return sb.append(" len=").append(payload.length).toString();
    }
}
