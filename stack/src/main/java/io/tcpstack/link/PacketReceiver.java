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

    /**
     * Called before each packet of a burst from {@code queue} is handed over, on the same thread,
     * by whoever marks bursts (a queue's reader or worker): the receiver may defer work to {@link
     * #endOfBurst} from here on. Receivers that batch nothing ignore it; decorators pass it on.
     */
    default void startOfBurst(int queue) {
    }

    /**
     * Called by a link after it handed over a burst of packets from {@code queue} (what one poll
     * found ready), on the same thread. A receiver may defer work to it, such as waking the
     * applications the burst gave data to (once per burst, not once per packet). A link that never
     * calls it loses nothing but that batching; decorators pass it on.
     */
    default void endOfBurst(int queue) {
    }
}
