package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv6View;

/**
 * How a multi-queue link picks the queue an inbound packet arrives on, and so which reader
 * thread processes it (stack/BEHAVIOURS.md 1). A TUN device does it in the kernel with a
 * steering eBPF program (tun-driver's {@code SteeringProgram} computes exactly these functions);
 * {@link SimulatedNetwork} does it on virtual time.
 */
public enum Steering {
    /**
     * Queue = the sending CPU modulo the queues: Linux without RSS (loopback, veth), where a packet
     * is processed on the CPU that sent it. Two segments of one flow sent from two contexts (the
     * peer's softirq ACK, its application's close) land on two queues.
     */
    SENDING_CPU {
        @Override
        public int queue(int sendingCpu, ByteBuf packet, int queues) {
            return Math.floorMod(sendingCpu, queues);
        }
    },
    /** Queue = a hash of the flow (addresses, and ports for TCP and UDP): RSS, one flow one queue. */
    FLOW {
        @Override
        public int queue(int sendingCpu, ByteBuf packet, int queues) {
            return Integer.remainderUnsigned(flowHash(packet), queues);
        }
    };

    /** The queue of {@code packet} (an IPv4 or IPv6 packet, readable bytes) sent by {@code sendingCpu}. */
    public abstract int queue(int sendingCpu, ByteBuf packet, int queues);

    /**
     * The flow hash the FLOW program computes: h = the xor of the source and destination address
     * words (one each for IPv4, four each for IPv6), xor the ports' word for TCP and UDP (IPv6:
     * when TCP or UDP is the first next header, as the stack and the kernel send them), times
     * 0x9E3779B1 (32 bits), xor its high half into its low half. 0 for a packet too short to have
     * what it reads (a BPF packet load out of bounds ends the program with 0). The flow label is
     * left out: a peer may change it on a connection (Linux's txhash rethink).
     */
    public static int flowHash(ByteBuf p) {
        int start = p.readerIndex();
        int length = p.readableBytes();
        if (length < 1) {
            return 0;
        }
        boolean v6 = p.getUnsignedByte(start) >>> 4 == 6;
        int addresses = v6 ? 8 : 12;
        int words = v6 ? 8 : 2;
        int portsAt = v6 ? Ipv6View.HEADER_LENGTH : (p.getUnsignedByte(start) & 0x0f) * 4;
        if (length < addresses + 4 * words) {
            return 0;
        }
        int h = 0;
        for (int i = 0; i < words; i++) {
            h ^= p.getInt(start + addresses + 4 * i);
        }
        int protocol = p.getUnsignedByte(start + (v6 ? 6 : 9));
        if (protocol == IpProtocol.TCP || protocol == IpProtocol.UDP) {
            if (length < portsAt + 4) {
                return 0;
            }
            h ^= p.getInt(start + portsAt);
        }
        h *= 0x9E3779B1;
        return h ^ (h >>> 16);
    }
}
