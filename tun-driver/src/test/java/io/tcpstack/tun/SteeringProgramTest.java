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
    void flowProgramEndsWithZeroOnAPacketTooShortForItsLoads() {
        byte[] program = SteeringProgram.flow(4);
        byte[] header = new byte[20];
        header[0] = 0x4f; // IHL 15: the ports would be at 60
        header[9] = 6;
        header[12] = 1;
        assertThat(run(program, header)).isZero();
        assertThat(Steering.flowHash(Unpooled.wrappedBuffer(header))).isZero();
        assertThat(run(program, new byte[16])).isZero();
    }

    /**
     * The instructions the programs use, as the kernel runs them (kernel/bpf/core.c): 64-bit and
     * 32-bit ALU (32-bit results zero-extended), packet loads in network order ending the program
     * with 0 out of bounds, conditional jumps, exit (a helper call returns 0).
     */
    private static long run(byte[] program, byte[] packet) {
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
                case 0x20, 0x30, 0x40 -> {
                    int at = (op == 0x40 ? (int) r[src] : 0) + imm;
                    int size = op == 0x30 ? 1 : 4;
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
                case 0xbc, 0xac, 0x54, 0x64, 0x74, 0x24, 0x94 -> {
                    int a = (int) r[dst];
                    int b = (int) s;
                    int v = switch (op) {
                        case 0xbc -> b;
                        case 0xac -> a ^ b;
                        case 0x54 -> a & b;
                        case 0x64 -> a << b;
                        case 0x74 -> a >>> b;
                        case 0x24 -> a * b;
                        default -> Integer.remainderUnsigned(a, b);
                    };
                    r[dst] = v & 0xffffffffL;
                }
                case 0x15 -> pc += r[dst] == imm ? off : 0;
                case 0x55 -> pc += r[dst] != imm ? off : 0;
                case 0x85 -> r[0] = 0;
                case 0x95 -> {
                    return r[0];
                }
                default -> throw new AssertionError("opcode 0x" + Integer.toHexString(op) + " at " + (pc - 1));
            }
        }
    }
}
