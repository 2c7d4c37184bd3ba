package io.tcpstack.link;

import io.netty.buffer.ByteBuf;

/** Where a {@link Link} delivers inbound packets. */
@FunctionalInterface
public interface PacketReceiver {

    /**
     * Handles one inbound IPv4 packet that arrived on {@code queue}. The buffer's readable bytes
     * are the packet; it is only valid during the call (copy what must outlive it) and the
     * receiver must not release it.
     */
    void receive(int queue, ByteBuf packet);
}
