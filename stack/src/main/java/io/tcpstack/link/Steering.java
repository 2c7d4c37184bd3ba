package io.tcpstack.link;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.IpProtocol;

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

    /** The queue of {@code packet} (an IPv4 packet, readable bytes) sent by {@code sendingCpu}. */
    public abstract int queue(int sendingCpu, ByteBuf packet, int queues);

    /**
     * The flow hash the FLOW program computes: h = saddr ^ daddr, xor the ports' word for TCP and
     * UDP, times 0x9E3779B1 (32 bits), xor its high half into its low half. 0 for a packet too short
     * to have what it reads (a BPF packet load out of bounds ends the program with 0).
     */
    public static int flowHash(ByteBuf p) {
        int start = p.readerIndex();
        if (p.readableBytes() < 20) {
            return 0;
        }
        int h = p.getInt(start + 12) ^ p.getInt(start + 16);
        int protocol = p.getUnsignedByte(start + 9);
        if (protocol == IpProtocol.TCP || protocol == IpProtocol.UDP) {
            int ihl = (p.getUnsignedByte(start) & 0x0f) * 4;
            if (p.readableBytes() < ihl + 4) {
                return 0;
            }
            h ^= p.getInt(start + ihl);
        }
        h *= 0x9E3779B1;
        return h ^ (h >>> 16);
    }
}
