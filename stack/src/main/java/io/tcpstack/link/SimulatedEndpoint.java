package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;

/**
 * One host's attachment to a {@link SimulatedNetwork}: the {@link Link} its stack is built on
 * (made by {@link SimulatedNetwork#endpoint}). It plays the host's TUN device: sends go to the
 * network, inbound packets come from it on the queue its {@link Steering} picks.
 */
public final class SimulatedEndpoint implements Link {
    private final SimulatedNetwork network;
    private final int address;
    private final int queues;
    private final int mtu;
    private PacketReceiver receiver;
    private boolean closed;
    private Steering steering = Steering.FLOW;

    SimulatedEndpoint(SimulatedNetwork network, int address, int queues, int mtu) {
        this.network = network;
        this.address = address;
        this.queues = queues;
        this.mtu = mtu;
    }

    /** The IPv4 address packets must carry as destination to reach this endpoint. */
    public int address() {
        return address;
    }

    /** Makes IPv6 packets to {@code address6} reach this endpoint too (a dual-stack host). */
    public SimulatedEndpoint alsoAt(String address6) {
        IpAddress a = IpAddress.parse(address6);
        if (a.isV4() || !network.alsoAt(a, this)) {
            throw new IllegalStateException(address6 + " is not an IPv6 address, or already has an endpoint");
        }
        return this;
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

    /** Takes ownership of {@code packet}; after {@link #close()} it is released unsent. */
    @Override
    public void send(int queue, ByteBuf packet) {
        if (closed) {
            packet.release();
            return;
        }
        network.transmit(this, queue, packet);
    }

    @Override
    public void start(PacketReceiver receiver) {
        if (this.receiver != null) {
            throw new IllegalStateException("already started");
        }
        this.receiver = receiver;
    }

    /**
     * Inbound packets arrive on the queue {@code steering} picks: by flow until the stack on
     * this endpoint steers (RSS: one flow, one queue); by the sender's context, the queue the
     * sending stack wrote the packet on (as a TUN device with the sending-CPU program); or
     * the second for packets without TCP data and the first for the rest.
     */
    @Override
    public void steer(Steering steering) {
        this.steering = steering;
    }

    @Override
    public String steering() {
        return queues == 1 ? "one queue" : switch (steering) {
            case FLOW -> "by flow";
            case DATA_BY_FLOW -> "data by flow, the rest by the sender's context";
            case SENDING_CPU -> "by the sender's context";
        };
    }

    /** Who takes this endpoint's inbound packets: null before {@link #start} and after {@link #close}. */
    PacketReceiver receiver() {
        return closed ? null : receiver;
    }

    int queueFor(int fromQueue, ByteBuf packet) {
        return queues == 1 ? 0 : steering.queue(fromQueue, packet, queues);
    }

    /** Packets to this endpoint are dropped (unroutable) from now on. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "sim:" + Ipv4Address.format(address);
    }
}
