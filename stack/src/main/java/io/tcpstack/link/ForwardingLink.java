package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Base of the {@link Link} decorators (pcap, fault injection): queue count, MTU, allocator,
 * steering, bursts and close go to the wrapped link; each decorator says what it does to the
 * packets it sends ({@link #send}) and receives ({@link #received}).
 */
public abstract class ForwardingLink implements Link {
    protected final Link link;
    private volatile PacketReceiver next;

    protected ForwardingLink(Link link) {
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
    public int maxSendPacket() {
        return link.maxSendPacket();
    }

    @Override
    public ByteBufAllocator alloc() {
        return link.alloc();
    }

    @Override
    public void steer(Steering steering) {
        link.steer(steering);
    }

    @Override
    public String steering() {
        return link.steering();
    }

    /**
     * Sees each inbound packet before the stack; false drops it (the link still owns the
     * buffer, as the {@link PacketReceiver} contract says). By default every packet passes.
     */
    protected boolean received(int queue, ByteBuf packet) {
        return true;
    }

    /**
     * Hands an inbound packet on to {@code next} (the receiver this link was started with), by
     * default when {@link #received} lets it pass. A decorator that delivers packets later or
     * twice overrides it.
     */
    protected void receive(int queue, ByteBuf packet, PacketReceiver next) {
        if (received(queue, packet)) {
            next.receive(queue, packet);
        }
    }

    /** The receiver this link was started with (null before {@link #start}). */
    protected final PacketReceiver next() {
        return next;
    }

    @Override
    public final void start(PacketReceiver receiver) {
        next = receiver;
        link.start(new PacketReceiver() {
            @Override
            public void receive(int queue, ByteBuf packet) {
                ForwardingLink.this.receive(queue, packet, receiver);
            }

            @Override
            public void endOfBurst(int queue) {
                receiver.endOfBurst(queue);
            }
        });
    }

    @Override
    public void close() {
        link.close();
    }
}
