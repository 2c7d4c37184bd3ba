package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The boundary between the protocol engine and a device: a TUN device, or a simulated network in
 * tests. The engine never sees a file descriptor; it sees queues of IPv4 packets.
 *
 * <p>Inbound, the link calls {@link PacketReceiver#receive} on its own reader thread(s), one per
 * queue, and the packet buffer is only valid for the duration of that call (the link reuses it).
 * Outbound, the engine allocates a buffer from {@link #alloc()}, fills it with one IPv4 packet and
 * hands it to {@link #send}, which takes ownership (it releases the buffer).
 */
public interface Link extends AutoCloseable {

    /** Number of queues (TUN: one file descriptor and one reader thread per queue). */
    int queueCount();

    /** Largest IPv4 packet the link carries. */
    int mtu();

    /**
     * Largest IPv4 packet the link accepts from the stack. Above {@link #mtu()} only for TCP, which
     * the link cuts (TSO) into segments of {@code mtu() - IP header - TCP header} payload bytes,
     * with the same headers, the sequence numbers advanced, FIN and PSH on the last one only.
     */
    default int maxSendPacket() {
        return mtu();
    }

    /** Allocator for outbound packets (pooled direct buffers on a real device). */
    ByteBufAllocator alloc();

    /**
     * Sends one IPv4 packet on the given queue (taken modulo {@link #queueCount()}). The link owns
     * and releases {@code packet}, also when it cannot be sent (counted by the link).
     */
    void send(int queue, ByteBuf packet);

    /**
     * From the next packet on, steers inbound packets to queues as {@code steering} says. A link
     * with one queue has nothing to steer; one whose arrival queue is the queue its peer sent on
     * ({@link PipeLink}) steers as its sender writes.
     */
    default void steer(Steering steering) {
    }

    /** How inbound packets are steered to queues now, in a few words (ctl status). */
    default String steering() {
        return queueCount() == 1 ? "one queue" : "the queue the sender wrote on";
    }

    /** Starts delivering inbound packets to {@code receiver}. Called once. */
    void start(PacketReceiver receiver);

    /** Stops the readers (wakes every blocked one) and releases the device. Idempotent. */
    @Override
    void close();
}
