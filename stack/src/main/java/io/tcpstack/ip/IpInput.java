package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.link.PacketReceiver;
import io.tcpstack.stats.Counter;
import io.tcpstack.stats.DropReason;
import io.tcpstack.stats.StackStats;

/**
 * What a TUN link delivers: IPv4 and IPv6 packets, told apart by the version nibble (a TUN
 * device without packet information has no EtherType). IPv6 goes to {@link Ipv6Input} when the
 * stack has an IPv6 address; without one it is dropped as Linux drops it on a device where IPv6
 * is disabled (Ip6InDiscards), which is also what the {@code ipv6} switch (TcpSettings.ipv6) does. Anything else is
 * IPv4's to count.
 */
public final class IpInput implements PacketReceiver {
    private final Ipv4Input ipv4;
    /** Null when the stack has no IPv6 address. */
    private final Ipv6Input ipv6;
    private final StackStats stats;

    public IpInput(Ipv4Input ipv4, Ipv6Input ipv6, StackStats stats) {
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
        this.stats = stats;
    }

    @Override
    public void receive(int queue, ByteBuf packet) {
        if (packet.isReadable() && (packet.getUnsignedByte(packet.readerIndex()) >>> 4) == 6) {
            if (ipv6 != null) {
                ipv6.receive(queue, packet);
            } else {
                stats.inc(Counter.Ip6InReceives);
                stats.inc(Counter.Ip6InDiscards);
                stats.drop(DropReason.IPV6_DISABLED);
            }
            return;
        }
        ipv4.receive(queue, packet);
    }

    /** The stack's IPv6 input, or null. */
    public Ipv6Input ipv6() {
        return ipv6;
    }
}
