package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.link.Link;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import io.tcpstack.time.Clock;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4View;
import io.tcpstack.wire.Ipv6View;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * IP output of both families: allocates packet buffers with room for the header, writes the
 * header and hands the packet to the link. IPv6 packets larger than the path MTU ({@link
 * PathMtu}) are fragmented unless they are TCP, which sizes its own segments. Thread-safe:
 * called from reader threads, timer threads and application threads alike.
 */
public final class IpOutput {
    /** RFC 8200 4.5: the fragment header. */
    private static final int FRAGMENT_HEADER_LENGTH = 8;

    private final IpHost host;
    private final Link link;
    private final StackStats stats;
    private final PathMtu pathMtu;
    /** IP ID for packets of our own (Linux ip_select_ident keeps per-destination counters; one is enough here). */
    private final AtomicInteger nextId = new AtomicInteger();
    /** The identification of IPv6 fragments (RFC 7739: unpredictable); from the stack's seed, under its lock. */
    private final RandomGenerator random;
    /** The key of the flow labels of packets without a socket ({@link FlowLabel}). */
    private final long flowSecret;

    /** @param random the stack's source of random choices (fragment IDs, the flow-label secret) */
    public IpOutput(IpHost host, Link link, StackStats stats, Clock clock, RandomGenerator random) {
        this.host = host;
        this.link = link;
        this.stats = stats;
        this.pathMtu = new PathMtu(clock);
        this.random = random;
        synchronized (random) {
            this.flowSecret = random.nextLong();
        }
    }

    /**
     * A buffer for one packet whose transport part is {@code transportLength} bytes; the writer
     * index is set past the IP header, so the transport header goes at index {@link
     * Ipv4View#MIN_HEADER_LENGTH}.
     */
    public ByteBuf allocate(int transportLength) {
        return allocate(Ipv4View.MIN_HEADER_LENGTH, transportLength);
    }

    /** As {@link #allocate(int)} for an IPv6 packet: the transport header goes at index 40. */
    public ByteBuf allocate6(int transportLength) {
        return allocate(Ipv6View.HEADER_LENGTH, transportLength);
    }

    /** A buffer for a packet to {@code destination}, with room for its family's header. */
    public ByteBuf allocate(IpAddress destination, int transportLength) {
        return destination.isV4() ? allocate(transportLength) : allocate6(transportLength);
    }

    private ByteBuf allocate(int header, int transportLength) {
        ByteBuf buf = link.alloc().directBuffer(header + transportLength);
        buf.writerIndex(header);
        return buf;
    }

    /**
     * Writes the IPv4 header in front of the transport bytes already in {@code packet} (from index
     * 20 to the writer index) and sends it on {@code queue}. Takes ownership of {@code packet}.
     */
    public void send(int queue, ByteBuf packet, int protocol, int destination, boolean dontFragment) {
        int id = dontFragment ? 0 : nextId.getAndIncrement() & 0xffff;
        send(queue, packet, protocol, destination, dontFragment, id);
    }

    /** As {@link #send(int, ByteBuf, int, int, boolean)} with an explicit IP ID. */
    public void send(int queue, ByteBuf packet, int protocol, int destination, boolean dontFragment, int id) {
        send(queue, packet, protocol, destination, dontFragment, id, 0);
    }

    /** With an explicit IP ID and the TOS byte (its low two bits: the ECN field, RFC 3168 5). */
    public void send(int queue, ByteBuf packet, int protocol, int destination, boolean dontFragment, int id, int tos) {
        Ipv4View.writeHeader(packet, 0, packet.writerIndex(), id, dontFragment, host.defaultTtl(),
                protocol, host.v4(), destination);
        if (tos != 0) {
            Ipv4View.setTos(packet, 0, tos);
        }
        stats.inc(Counter.IpOutRequests);
        link.send(queue, packet);
    }

    /**
     * Sends a packet of either family built in a buffer from {@link #allocate(IpAddress, int)}:
     * IPv4 with DF and {@code ipId}, IPv6 with {@code flowLabel}; {@code ecn} in the TOS or
     * traffic class (RFC 3168 5).
     */
    public void send(int queue, ByteBuf packet, int protocol, IpAddress destination, int ipId, int flowLabel, int ecn) {
        if (destination.isV4()) {
            send(queue, packet, protocol, destination.v4(), true, ipId, ecn);
        } else {
            send6(queue, packet, protocol, destination.hi(), destination.lo(), flowLabel, ecn, defaultHopLimit());
        }
    }

    /** The flow label of an IPv6 packet without a socket to {@code dst} (a reset, an ICMPv6 message): {@link FlowLabel}. */
    public int flowLabel(long dstHi, long dstLo, int portsOrIds) {
        return FlowLabel.ofFlow(flowSecret, dstHi, dstLo, portsOrIds);
    }

    /**
     * IPv6 output (Linux ip6_xmit, ip6_finish_output): writes the fixed header in front of the
     * upper-layer bytes at index 40 to the writer index, from our IPv6 address, and sends it;
     * fragments it first when it is larger than the path MTU and not TCP. Takes ownership.
     */
    public void send6(int queue, ByteBuf packet, int protocol, long dstHi, long dstLo, int flowLabel,
            int trafficClass, int hopLimit) {
        IpAddress source = host.address6();
        int payload = packet.writerIndex() - Ipv6View.HEADER_LENGTH;
        Ipv6View.writeHeader(packet, 0, trafficClass, flowLabel, payload, protocol, hopLimit, source.hi(), source.lo(),
                dstHi, dstLo);
        stats.inc(Counter.Ip6OutRequests);
        if (IpAddress.isMulticast(dstHi)) {
            stats.inc(Counter.Ip6OutMcastPkts);
        }
        int length = packet.readableBytes();
        if (length > Ipv6View.MIN_MTU && protocol != IpProtocol.TCP) {
            int mtu = pathMtu(IpAddress.of(dstHi, dstLo));
            if (length > mtu) {
                fragment(queue, packet, protocol, mtu);
                return;
            }
        }
        link.send(queue, packet);
    }

    /**
     * Linux ip6_fragment: the payload after the fixed header in pieces of the largest multiple of
     * 8 that fits the MTU with a fragment header, each with the datagram's identification (random,
     * RFC 7739). Counts Ip6FragOKs and Ip6FragCreates. Releases {@code packet}.
     */
    private void fragment(int queue, ByteBuf packet, int protocol, int mtu) {
        int payload = packet.readableBytes() - Ipv6View.HEADER_LENGTH;
        int step = (mtu - Ipv6View.HEADER_LENGTH - FRAGMENT_HEADER_LENGTH) & ~7;
        int id;
        synchronized (random) {
            id = random.nextInt() | 1;
        }
        try {
            for (int offset = 0; offset < payload; offset += step) {
                int part = Math.min(step, payload - offset);
                boolean more = offset + part < payload;
                ByteBuf f = link.alloc().directBuffer(Ipv6View.HEADER_LENGTH + FRAGMENT_HEADER_LENGTH + part);
                f.writeBytes(packet, 0, Ipv6View.HEADER_LENGTH);
                f.setShort(4, FRAGMENT_HEADER_LENGTH + part);
                f.setByte(6, IpProtocol.FRAGMENT);
                f.writeByte(protocol);
                f.writeByte(0);
                f.writeShort(offset | (more ? 1 : 0));
                f.writeInt(id);
                f.writeBytes(packet, Ipv6View.HEADER_LENGTH + offset, part);
                stats.inc(Counter.Ip6FragCreates);
                link.send(queue, f);
            }
            stats.inc(Counter.Ip6FragOKs);
        } finally {
            packet.release();
        }
    }

    /** The path MTU to {@code destination}: the link's, or less after a Packet Too Big (IPv6). */
    public int pathMtu(IpAddress destination) {
        return destination.isV4() ? link.mtu() : pathMtu.mtu(destination, link.mtu());
    }

    /** A Packet Too Big reported {@code mtu} for {@code destination}; returns its path MTU now. */
    public int reducePathMtu(IpAddress destination, int mtu) {
        return pathMtu.reduce(destination, mtu, link.mtu());
    }

    public int mtu() {
        return link.mtu();
    }

    /** Hop limit of the IPv6 packets we originate (Linux net.ipv6.conf.all.hop_limit, 64). */
    public int defaultHopLimit() {
        return host.defaultTtl();
    }

    /** Largest packet the link takes, TCP super-packets it segments itself included ({@link Link#maxSendPacket()}). */
    public int maxPacket() {
        return link.maxSendPacket();
    }

    /** Our IPv4 address (0: none). */
    public int localAddress() {
        return host.v4();
    }

    /** Our address of {@code peer}'s family, or null when the stack has none of that family. */
    public IpAddress localAddress(IpAddress peer) {
        return peer.isV4() ? host.address4() : host.address6();
    }
}
