package io.tcpstack.link;

import io.netty.buffer.ByteBufAllocator;

/**
 * Base of the {@link Link} decorators (pcap, fault injection): queue count, MTU, allocator and
 * close go to the wrapped link; each decorator says what it does to sent and received packets.
 */
abstract class ForwardingLink implements Link {
    protected final Link link;

    ForwardingLink(Link link) {
        this.link = link;
    }

    @Override
    public int queueCount() {
        return link.queueCount();
    }

    @Override
    public int mtu() {
        return link.mtu();
    }

    @Override
    public ByteBufAllocator alloc() {
        return link.alloc();
    }

    @Override
    public void close() {
        link.close();
    }
}
