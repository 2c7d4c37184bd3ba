package io.tcpstack.tun;

import io.tcpstack.link.Steering;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The TUN steering eBPF programs (verified on Linux 6.18 as root): the kernel runs the
 * program attached with {@code TUNSETSTEERINGEBPF} for every packet it transmits to the device,
 * on the CPU that transmits it, and puts the packet on the queue the program returns (modulo the
 * queues; drivers/net/tun.c, tun_ebpf_select_queue). One program per {@link Steering}:
 *
 * <ul>
 *   <li>{@link Steering#SENDING_CPU}: {@code bpf_get_smp_processor_id() % queues}, three
 *       instructions. With each reader on the CPUs of its queue ({@link TunDevice}), a packet is
 *       processed on the CPU that sent it, or one congruent to it modulo the queues.
 *   <li>{@link Steering#FLOW}: {@link Steering#flowHash} of the IPv4 header (and the ports of TCP
 *       and UDP) modulo the queues, read with the classic packet loads (LD_ABS, LD_IND), which a
 *       socket filter may use and which end the program with 0 past the packet's end.
 * </ul>
 *
 * Both are BPF_PROG_TYPE_SOCKET_FILTER programs loaded with bpf(BPF_PROG_LOAD); loading needs
 * CAP_BPF or CAP_SYS_ADMIN unless unprivileged BPF is allowed (kernel.unprivileged_bpf_disabled).
 */
final class SteeringProgram {
    /** linux/if_tun.h: _IOW('T', 224, int), the program's fd by reference; -1 detaches. */
    static final long TUNSETSTEERINGEBPF = 0x800454e0L;
    static final int BPF_PROG_LOAD = 5;
    static final int BPF_PROG_TYPE_SOCKET_FILTER = 1;
    /** The part of union bpf_attr we send; the kernel wants the rest zero. */
    static final int ATTR_SIZE = 128;
    static final int INSN_SIZE = 8;
    private static final byte[] LICENSE = "GPL\0".getBytes(StandardCharsets.US_ASCII);

    // linux/bpf_common.h and linux/bpf.h opcodes: class | size or op | mode or source
    private static final int LD_ABS_W = 0x00 | 0x00 | 0x20;
    private static final int LD_ABS_B = 0x00 | 0x10 | 0x20;
    private static final int LD_IND_W = 0x00 | 0x00 | 0x40;
    private static final int ALU32_AND_K = 0x04 | 0x50;
    private static final int ALU32_LSH_K = 0x04 | 0x60;
    private static final int ALU32_RSH_K = 0x04 | 0x70;
    private static final int ALU32_MUL_K = 0x04 | 0x20;
    private static final int ALU32_MOD_K = 0x04 | 0x90;
    private static final int ALU32_XOR_X = 0x04 | 0xa0 | 0x08;
    private static final int ALU32_MOV_X = 0x04 | 0xb0 | 0x08;
    private static final int ALU64_MOD_K = 0x07 | 0x90;
    private static final int ALU64_MOV_X = 0x07 | 0xb0 | 0x08;
    private static final int JEQ_K = 0x05 | 0x10;
    private static final int JNE_K = 0x05 | 0x50;
    private static final int CALL = 0x05 | 0x80;
    private static final int EXIT = 0x05 | 0x90;
    private static final int BPF_FUNC_GET_SMP_PROCESSOR_ID = 8;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;

    private SteeringProgram() {
    }

    /** r0 = bpf_get_smp_processor_id(); r0 %= queues; return r0. */
    static byte[] sendingCpu(int queues) {
        ByteBuffer b = program(3);
        insn(b, CALL, 0, 0, 0, BPF_FUNC_GET_SMP_PROCESSOR_ID);
        insn(b, ALU64_MOD_K, 0, 0, 0, queues);
        insn(b, EXIT, 0, 0, 0, 0);
        return b.array();
    }

    /** {@link Steering#flowHash} modulo {@code queues}. r6 holds the skb (LD_ABS and LD_IND need it there). */
    static byte[] flow(int queues) {
        ByteBuffer b = program(20);
        insn(b, ALU64_MOV_X, 6, 1, 0, 0);               // r6 = skb
        insn(b, LD_ABS_W, 0, 0, 0, 12);                 // r0 = saddr
        insn(b, ALU64_MOV_X, 7, 0, 0, 0);               // r7 = r0
        insn(b, LD_ABS_W, 0, 0, 0, 16);                 // r0 = daddr
        insn(b, ALU32_XOR_X, 7, 0, 0, 0);               // w7 ^= w0
        insn(b, LD_ABS_B, 0, 0, 0, 9);                  // r0 = protocol
        insn(b, JEQ_K, 0, 0, 1, IPPROTO_TCP);           // TCP: to the ports
        insn(b, JNE_K, 0, 0, 6, IPPROTO_UDP);           // neither TCP nor UDP: past the ports
        insn(b, LD_ABS_B, 0, 0, 0, 0);                  // r0 = version and IHL
        insn(b, ALU32_AND_K, 0, 0, 0, 0x0f);            // w0 = IHL
        insn(b, ALU32_LSH_K, 0, 0, 0, 2);               // w0 = header length in bytes
        insn(b, ALU64_MOV_X, 8, 0, 0, 0);               // r8 = r0
        insn(b, LD_IND_W, 0, 8, 0, 0);                  // r0 = source and destination port
        insn(b, ALU32_XOR_X, 7, 0, 0, 0);               // w7 ^= w0
        insn(b, ALU32_MUL_K, 7, 0, 0, 0x9E3779B1);      // w7 *= 0x9E3779B1
        insn(b, ALU32_MOV_X, 0, 7, 0, 0);               // w0 = w7
        insn(b, ALU32_RSH_K, 0, 0, 0, 16);              // w0 >>= 16
        insn(b, ALU32_XOR_X, 0, 7, 0, 0);               // w0 ^= w7
        insn(b, ALU32_MOD_K, 0, 0, 0, queues);          // w0 %= queues (unsigned)
        insn(b, EXIT, 0, 0, 0, 0);
        return b.array();
    }

    private static ByteBuffer program(int instructions) {
        return ByteBuffer.allocate(instructions * INSN_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** struct bpf_insn: u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm. */
    private static void insn(ByteBuffer b, int code, int dst, int src, int off, int imm) {
        b.put((byte) code).put((byte) (src << 4 | dst)).putShort((short) off).putInt(imm);
    }

    /**
     * union bpf_attr for BPF_PROG_LOAD (little endian): u32 prog_type, u32 insn_cnt, u64 insns,
     * u64 license, u32 log_level, u32 log_size, u64 log_buf, u32 kern_version, zero to 128 bytes.
     */
    static ByteBuffer loadAttr(long insnsAddress, int insnCount, long licenseAddress) {
        ByteBuffer a = ByteBuffer.allocate(ATTR_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        a.putInt(0, BPF_PROG_TYPE_SOCKET_FILTER);
        a.putInt(4, insnCount);
        a.putLong(8, insnsAddress);
        a.putLong(16, licenseAddress);
        return a; // log_level, log_size, log_buf, kern_version and the rest: 0
    }

    /** The bpf(2) system call number of this machine's architecture, or -1 where we do not know it. */
    static long bpfSyscall(String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> 321;
            case "aarch64" -> 280;
            default -> -1;
        };
    }

    /** Loads a socket filter program; returns its file descriptor. */
    static int load(byte[] code, LibC libc, Runtime runtime) throws IOException {
        Pointer insns = direct(runtime, code);
        Pointer license = direct(runtime, LICENSE);
        try {
            return bpf(BPF_PROG_LOAD, loadAttr(insns.address(), code.length / INSN_SIZE, license.address()).array(),
                    "bpf(BPF_PROG_LOAD)", libc, runtime);
        } finally {
            Reference.reachabilityFence(insns); // the kernel reads them through their addresses
            Reference.reachabilityFence(license);
        }
    }

    private static Pointer direct(Runtime runtime, byte[] bytes) {
        Pointer p = Memory.allocateDirect(runtime, bytes.length, true);
        p.put(0, bytes, 0, bytes.length);
        return p;
    }

    /** bpf(2) with {@code attr}; returns its non-negative result (a file descriptor, or 0). */
    private static int bpf(int cmd, byte[] attrBytes, String what, LibC libc, Runtime runtime) throws IOException {
        long syscall = bpfSyscall(System.getProperty("os.arch"));
        if (syscall < 0) {
            throw new IOException("bpf(2): no system call number known for " + System.getProperty("os.arch"));
        }
        Pointer attr = direct(runtime, attrBytes);
        long result = libc.syscall(syscall, cmd, attr.address(), attrBytes.length);
        int errno = runtime.getLastError();
        Reference.reachabilityFence(attr);
        if (result < 0) {
            throw new IOException(what + ": " + libc.strerror(errno) + " (errno " + errno + ")");
        }
        return (int) result;
    }
}
