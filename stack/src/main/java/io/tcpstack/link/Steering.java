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
    /**
     * The default's model of Linux without RSS: a TCP segment that carries data by {@link #FLOW},
     * every other packet (pure ACKs, SYN, FIN and RST without data, ICMP, UDP) by
     * {@link #SENDING_CPU}. The peer's softirq ACK and its application's RST or FIN/ACK still
     * land on two queues at once (the FIN/ACK race), while the data of one flow stays in order, as
     * on Linux, where a softirq processes a packet within microseconds of its sending: a TUN
     * reader in user space takes its queue's packets only when the scheduler runs it, up to a
     * time slice later, so steering data by its sending CPU reordered a bulk flow sent from two
     * CPUs by milliseconds (8% of it out of order, 4% retransmitted; Linux: 0.2% and 0.3%).
     */
    DATA_BY_FLOW {
        @Override
        public int queue(int sendingCpu, ByteBuf p, int queues) {
            // TCP length (IPv4 total length less its header, or the IPv6 payload length) against
            // the data offset; 0 where a load would pass the packet's end, as the program ends
            int start = p.readerIndex();
            int length = p.readableBytes();
            boolean v6 = length > 0 && p.getUnsignedByte(start) >>> 4 == 6;
            int protocolAt = v6 ? 6 : 9;
            if (length <= protocolAt) {
                return 0;
            }
            if (p.getUnsignedByte(start + protocolAt) != IpProtocol.TCP) {
                return SENDING_CPU.queue(sendingCpu, p, queues);
            }
            int tcpAt = transportAt(p, start, v6);
            if (length < tcpAt + 13) {
                return 0;
            }
            int tcpLength = v6 ? p.getUnsignedShort(start + 4) : p.getUnsignedShort(start + 2) - tcpAt;
            boolean data = tcpLength != (p.getUnsignedByte(start + tcpAt + 12) >>> 4) * 4;
            return data ? FLOW.queue(sendingCpu, p, queues) : SENDING_CPU.queue(sendingCpu, p, queues);
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

    /** Where the transport header starts: after the fixed IPv6 header, or after IHL * 4 bytes. */
    private static int transportAt(ByteBuf p, int start, boolean v6) {
        return v6 ? Ipv6View.HEADER_LENGTH : (p.getUnsignedByte(start) & 0x0f) * 4;
    }

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
        int portsAt = transportAt(p, start, v6);
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
