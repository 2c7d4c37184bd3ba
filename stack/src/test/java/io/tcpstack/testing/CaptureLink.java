package io.tcpstack.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.link.Link;
import io.tcpstack.link.PacketReceiver;
import java.util.ArrayDeque;
import java.util.Deque;

/** A link that keeps what the stack sends (as copies) and lets a test inject inbound packets. */
public final class CaptureLink implements Link {
    private final int queues;
    private final int mtu;
    private final Deque<Sent> sent = new ArrayDeque<>();
    private PacketReceiver receiver;

    /** A packet the stack sent, with the queue it chose. */
    public record Sent(int queue, byte[] packet) {
    }

    public CaptureLink(int queues, int mtu) {
        this.queues = queues;
        this.mtu = mtu;
    }

    @Override
    public int queueCount() {
        return queues;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public ByteBufAllocator alloc() {
        return UnpooledByteBufAllocator.DEFAULT;
    }

    @Override
    public synchronized void send(int queue, ByteBuf packet) {
        try {
            byte[] copy = new byte[packet.readableBytes()];
            packet.getBytes(packet.readerIndex(), copy);
            sent.add(new Sent(Math.floorMod(queue, queues), copy));
        } finally {
            packet.release();
        }
    }

    @Override
    public void start(PacketReceiver receiver) {
        this.receiver = receiver;
    }

    /** Delivers one inbound packet on {@code queue}, as a TUN reader would. */
    public void inject(int queue, ByteBuf packet) {
        try {
            receiver.receive(queue, packet);
        } finally {
            packet.release();
        }
    }

    /** The oldest packet sent and not yet taken, or null. */
    public synchronized Sent poll() {
        return sent.poll();
    }

    public synchronized int pending() {
        return sent.size();
    }

    @Override
    public void close() {
    }
}
