package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.api.StackConfig;
import io.tcpstack.link.Link;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.StackStats;
import io.tcpstack.wire.Ipv4View;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * IPv4 output: allocates packet buffers with room for the header, writes the header and hands the
 * packet to the link. Thread-safe: called from reader threads, timer threads and application
 * threads alike.
 */
public final class IpOutput {
    private final StackConfig config;
    private final Link link;
    private final StackStats stats;
    /** IP ID for packets of our own (Linux ip_select_ident keeps per-destination counters; one is enough here). */
    private final AtomicInteger nextId = new AtomicInteger();

    public IpOutput(StackConfig config, Link link, StackStats stats) {
        this.config = config;
        this.link = link;
        this.stats = stats;
    }

    /**
     * A buffer for one packet whose transport part is {@code transportLength} bytes; the writer
     * index is set past the IP header, so the transport header goes at index {@link
     * Ipv4View#MIN_HEADER_LENGTH}.
     */
    public ByteBuf allocate(int transportLength) {
        ByteBuf buf = link.alloc().directBuffer(Ipv4View.MIN_HEADER_LENGTH + transportLength);
        buf.writerIndex(Ipv4View.MIN_HEADER_LENGTH);
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
        Ipv4View.writeHeader(packet, 0, packet.writerIndex(), id, dontFragment, config.defaultTtl(),
                protocol, config.address(), destination);
        if (tos != 0) {
            Ipv4View.setTos(packet, 0, tos);
        }
        stats.inc(Counter.IpOutRequests);
        link.send(queue, packet);
    }

    public int mtu() {
        return link.mtu();
    }

    /** Largest packet the link takes, TCP super-packets it segments itself included ({@link Link#maxSendPacket()}). */
    public int maxPacket() {
        return link.maxSendPacket();
    }

    public int localAddress() {
        return config.address();
    }
}
