package io.tcpstack.tun;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.link.Steering;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The steering programs' bytes, the bpf(2) attr layout, and what the flow program computes: run
 * by a small interpreter of the instructions it uses, it picks the queue {@link Steering#FLOW}
 * picks (the one the simulated network and the STEPPED tests use).
 */
class SteeringProgramTest {

    @Test
    void sendingCpuProgramIsTheThreeInstructionsVerifiedOnThisKernel() {
        // call 8 (bpf_get_smp_processor_id); r0 %= 2 (ALU64 MOD K); exit
        assertThat(HexFormat.of().formatHex(SteeringProgram.sendingCpu(2)))
                .isEqualTo("8500000008000000" + "9700000002000000" + "9500000000000000");
    }

    @Test
    void loadAttrIsLittleEndianWithTheFieldsWhereTheKernelReadsThem() {
        ByteBuffer attr = SteeringProgram.loadAttr(0x1122334455667788L, 20, 0x0102030405060708L);
        assertThat(attr.capacity()).isEqualTo(128);
        assertThat(attr.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        assertThat(attr.getInt(0)).as("prog_type").isEqualTo(SteeringProgram.BPF_PROG_TYPE_SOCKET_FILTER);
        assertThat(attr.getInt(4)).as("insn_cnt").isEqualTo(20);
        assertThat(attr.getLong(8)).as("insns").isEqualTo(0x1122334455667788L);
        assertThat(attr.getLong(16)).as("license").isEqualTo(0x0102030405060708L);
        assertThat(attr.get(8)).as("low byte first").isEqualTo((byte) 0x88);
        for (int i = 24; i < 128; i++) {
            assertThat(attr.get(i)).as("byte %d (log level, size, buffer, kern_version, rest)", i).isZero();
        }
    }

    @Test
    void bpfIsSystemCall321OnX86And280OnArm() {
        assertThat(SteeringProgram.bpfSyscall("amd64")).isEqualTo(321);
        assertThat(SteeringProgram.bpfSyscall("aarch64")).isEqualTo(280);
        assertThat(SteeringProgram.bpfSyscall("riscv64")).isEqualTo(-1);
    }

    @Test
    void flowProgramPicksTheQueueOfSteeringFlow() {
        SplittableRandom random = new SplittableRandom(12);
        for (int queues : new int[] {2, 3, 4, 64}) {
            byte[] program = SteeringProgram.flow(queues);
            for (int i = 0; i < 2000; i++) {
                int protocol = switch (i % 4) {
                    case 0 -> 6;
                    case 1 -> 17;
                    case 2 -> 1;
                    default -> random.nextInt(256);
                };
                int ihl = i % 10 == 0 ? 5 + random.nextInt(11) : 5;
                byte[] packet = new byte[ihl * 4 + 8];
                random.nextBytes(packet);
                packet[0] = (byte) (0x40 | ihl);
                packet[9] = (byte) protocol;
                ByteBuf buf = Unpooled.wrappedBuffer(packet);
                assertThat(run(program, packet)).as("protocol %d ihl %d", protocol, ihl)
                        .isEqualTo(Steering.FLOW.queue(0, buf, queues));
            }
        }
    }

    @Test
    void flowProgramPicksTheQueueOfSteeringFlowForIpv6() {
        SplittableRandom random = new SplittableRandom(13);
        for (int queues : new int[] {2, 3, 4, 64}) {
            byte[] program = SteeringProgram.flow(queues);
            for (int i = 0; i < 2000; i++) {
                int nextHeader = switch (i % 4) {
                    case 0 -> 6;
                    case 1 -> 17;
                    case 2 -> 58;
                    default -> random.nextInt(256);
                };
                byte[] packet = new byte[40 + random.nextInt(3) * 4]; // 40, 44 or 48 bytes
                random.nextBytes(packet);
                packet[0] = (byte) (0x60 | packet[0] & 0x0f);
                packet[6] = (byte) nextHeader;
                assertThat(run(program, packet)).as("next header %d, %d bytes", nextHeader, packet.length)
                        .isEqualTo(Steering.FLOW.queue(0, Unpooled.wrappedBuffer(packet), queues));
            }
        }
    }

    @Test
    void dataByFlowProgramPicksTheQueueOfSteeringDataByFlow() {
        SplittableRandom random = new SplittableRandom(14);
        int[] picked = new int[2];
        for (int queues : new int[] {2, 3, 4, 64}) {
            byte[] program = SteeringProgram.dataByFlow(queues);
            for (int i = 0; i < 4000; i++) {
                boolean v6 = i % 2 == 1;
                int protocol = i % 8 < 6 ? 6 : random.nextInt(256);
                int ipHeader = v6 ? 40 : 4 * (i % 10 == 0 ? 5 + random.nextInt(11) : 5);
                int doff = 5 + random.nextInt(11);
                int data = i % 3 == 0 ? 0 : 1 + random.nextInt(1400);
                byte[] packet = new byte[random.nextInt(20) == 0 ? random.nextInt(ipHeader + 13) : ipHeader + doff * 4 + data];
                random.nextBytes(packet);
                if (packet.length > 0) {
                    packet[0] = (byte) (v6 ? 0x60 : 0x40 | ipHeader / 4);
                }
                int tcpLength = doff * 4 + data;
                setIfInside(packet, v6 ? 6 : 9, protocol);
                setIfInside(packet, v6 ? 4 : 2, (v6 ? tcpLength : ipHeader + tcpLength) >> 8);
                setIfInside(packet, v6 ? 5 : 3, v6 ? tcpLength : ipHeader + tcpLength);
                setIfInside(packet, ipHeader + 12, doff << 4 | random.nextInt(16));
                int cpu = random.nextInt(128);
                ByteBuf buf = Unpooled.wrappedBuffer(packet);
                int expected = Steering.DATA_BY_FLOW.queue(cpu, buf, queues);
                assertThat(run(program, packet, cpu)).as("v6 %s protocol %d data %d, %d bytes", v6, protocol, data, packet.length)
                        .isEqualTo(expected);
                if (protocol == 6 && packet.length == ipHeader + tcpLength) {
                    picked[data > 0 ? 1 : 0]++;
                    assertThat(expected).isEqualTo(data > 0 ? Steering.FLOW.queue(cpu, buf, queues) : cpu % queues);
                }
            }
        }
        assertThat(Math.min(picked[0], picked[1])).as("segments without and with data: %s", java.util.Arrays.toString(picked)).isGreaterThan(1000);
    }

    private static void setIfInside(byte[] packet, int at, int value) {
        if (at < packet.length) {
            packet[at] = (byte) value;
        }
    }

    @Test
    void oneIpv6FlowKeepsItsQueueWhateverItsFlowLabelAndPayload() {
        byte[] a = new byte[60];
        new SplittableRandom(5).nextBytes(a);
        a[0] = 0x60;
        a[6] = 6;
        byte[] b = a.clone();
        b[1] ^= 0x0f; // flow label
        b[3] ^= 0x55;
        b[4] ^= 0x01; // payload length
        b[50] ^= 0x7f; // the TCP header past the ports
        assertThat(Steering.flowHash(Unpooled.wrappedBuffer(b))).isEqualTo(Steering.flowHash(Unpooled.wrappedBuffer(a)))
                .isNotZero();
        b[39] ^= 1; // the destination's last byte: another flow
        assertThat(Steering.flowHash(Unpooled.wrappedBuffer(b))).isNotEqualTo(Steering.flowHash(Unpooled.wrappedBuffer(a)));
    }

    @Test
    void flowProgramEndsWithZeroOnAPacketTooShortForItsLoads() {
        byte[] program = SteeringProgram.flow(4);
        byte[] header = new byte[20];
        header[0] = 0x4f; // IHL 15: the ports would be at 60
        header[9] = 6;
        header[12] = 1;
        assertThat(run(program, header)).isZero();
        assertThat(Steering.flowHash(Unpooled.wrappedBuffer(header))).isZero();
        assertThat(run(program, new byte[16])).isZero();
        byte[] v6 = new byte[40];
        v6[0] = 0x60;
        v6[6] = 6; // TCP: the ports would be at 40
        v6[8] = 1;
        assertThat(run(program, v6)).isZero();
        assertThat(Steering.flowHash(Unpooled.wrappedBuffer(v6))).isZero();
        assertThat(run(program, java.util.Arrays.copyOf(v6, 39))).isZero();
    }

    /**
     * The instructions the programs use, as the kernel runs them (kernel/bpf/core.c): 64-bit and
     * 32-bit ALU (32-bit results zero-extended), packet loads in network order ending the program
     * with 0 out of bounds, jumps, exit (the one helper call, bpf_get_smp_processor_id, returns {@code cpu}).
     */
    private static long run(byte[] program, byte[] packet) {
        return run(program, packet, 0);
    }

    /** Runs {@code program} on {@code packet} as if on CPU {@code cpu} (bpf_get_smp_processor_id). */
    private static long run(byte[] program, byte[] packet, int cpu) {
        ByteBuffer code = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        long[] r = new long[11];
        int pc = 0;
        while (true) {
            int op = code.get(pc * 8) & 0xff;
            int dst = code.get(pc * 8 + 1) & 0x0f;
            int src = (code.get(pc * 8 + 1) & 0xf0) >> 4;
            short off = code.getShort(pc * 8 + 2);
            int imm = code.getInt(pc * 8 + 4);
            pc++;
            long s = (op & 0x08) != 0 ? r[src] : imm;
            switch (op) {
                case 0x20, 0x28, 0x30, 0x40, 0x50 -> {
                    int at = (op >= 0x40 ? (int) r[src] : 0) + imm;
                    int size = switch (op) {
                        case 0x30, 0x50 -> 1;
                        case 0x28 -> 2;
                        default -> 4;
                    };
                    if (at < 0 || at + size > packet.length) {
                        return 0;
                    }
                    long v = 0;
                    for (int i = 0; i < size; i++) {
                        v = v << 8 | (packet[at + i] & 0xff);
                    }
                    r[0] = v;
                }
                case 0xbf -> r[dst] = r[src];
                case 0x97 -> r[dst] = Long.remainderUnsigned(r[dst], imm & 0xffffffffL);
                case 0xbc, 0xac, 0x54, 0x64, 0x74, 0x24, 0x94, 0x1c -> {
                    int a = (int) r[dst];
                    int b = (int) s;
                    int v = switch (op) {
                        case 0xbc -> b;
                        case 0xac -> a ^ b;
                        case 0x54 -> a & b;
                        case 0x64 -> a << b;
                        case 0x74 -> a >>> b;
                        case 0x24 -> a * b;
                        case 0x1c -> a - b;
                        default -> Integer.remainderUnsigned(a, b);
                    };
                    r[dst] = v & 0xffffffffL;
                }
                case 0x05 -> pc += off;
                case 0x15 -> pc += r[dst] == imm ? off : 0;
                case 0x55 -> pc += r[dst] != imm ? off : 0;
                case 0x1d -> pc += r[dst] == r[src] ? off : 0;
                case 0x85 -> r[0] = cpu;
                case 0x95 -> {
                    return r[0];
                }
                default -> throw new AssertionError("opcode 0x" + Integer.toHexString(op) + " at " + (pc - 1));
            }
        }
    }
}
