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
 *   <li>{@link Steering#DATA_BY_FLOW}: a TCP segment with data as FLOW, any other packet as
 *       SENDING_CPU (the affinity none default).
 *   <li>{@link Steering#FLOW}: {@link Steering#flowHash} of the IPv4 or IPv6 addresses (and the
 *       ports of TCP and UDP) modulo the queues, read with the classic packet loads (LD_ABS,
 *       LD_IND), which a socket filter may use and which end the program with 0 past the packet's
 *       end.
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
    private static final int LD_ABS_H = 0x00 | 0x08 | 0x20;
    private static final int LD_IND_W = 0x00 | 0x00 | 0x40;
    private static final int LD_IND_B = 0x00 | 0x10 | 0x40;
    private static final int ALU32_SUB_X = 0x04 | 0x10 | 0x08;
    private static final int ALU32_AND_K = 0x04 | 0x50;
    private static final int ALU32_LSH_K = 0x04 | 0x60;
    private static final int ALU32_RSH_K = 0x04 | 0x70;
    private static final int ALU32_MUL_K = 0x04 | 0x20;
    private static final int ALU32_MOD_K = 0x04 | 0x90;
    private static final int ALU32_XOR_X = 0x04 | 0xa0 | 0x08;
    private static final int ALU32_MOV_X = 0x04 | 0xb0 | 0x08;
    private static final int ALU64_MOD_K = 0x07 | 0x90;
    private static final int ALU64_MOV_X = 0x07 | 0xb0 | 0x08;
    private static final int JA = 0x05 | 0x00;
    private static final int JEQ_K = 0x05 | 0x10;
    private static final int JEQ_X = 0x05 | 0x10 | 0x08;
    private static final int JNE_K = 0x05 | 0x50;
    private static final int CALL = 0x05 | 0x80;
    private static final int EXIT = 0x05 | 0x90;
    private static final int BPF_FUNC_GET_SMP_PROCESSOR_ID = 8;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;
    /** The length of the flow hash, {@link #flow} without its first instruction. */
    private static final int FLOW_HASH_INSNS = 44;

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

    /**
     * {@link Steering#flowHash} modulo {@code queues}. r6 holds the skb (LD_ABS and LD_IND need it
     * there), r7 the hash; the IPv6 path comes first and jumps over the IPv4 one to the mixing.
     */
    static byte[] flow(int queues) {
        ByteBuffer b = program(1 + FLOW_HASH_INSNS);
        insn(b, ALU64_MOV_X, 6, 1, 0, 0);               // r6 = skb
        flowHash(b, queues);
        return b.array();
    }

    /**
     * {@link Steering#DATA_BY_FLOW}: a TCP segment with data goes to {@link #flow}'s queue, any
     * other packet to {@link #sendingCpu}'s. The TCP length (IPv4: total length less IHL * 4;
     * IPv6: the payload length) is compared with the data offset; r8 and r9 hold the header
     * length and the TCP length (LD_ABS and LD_IND clobber r1 to r5).
     */
    static byte[] dataByFlow(int queues) {
        ByteBuffer b = program(26 + FLOW_HASH_INSNS + 3);
        int toCpu = 26 + FLOW_HASH_INSNS;                // the index of the sending-CPU tail
        insn(b, ALU64_MOV_X, 6, 1, 0, 0);               // 0: r6 = skb
        insn(b, LD_ABS_B, 0, 0, 0, 0);                  // r0 = version and IHL
        insn(b, ALU32_RSH_K, 0, 0, 0, 4);               // w0 = version
        insn(b, JNE_K, 0, 0, 13 - 4, 6);                // 3: not IPv6: to the IPv4 path at 13
        insn(b, LD_ABS_B, 0, 0, 0, 6);                  // IPv6: r0 = next header
        insn(b, JNE_K, 0, 0, toCpu - 6, IPPROTO_TCP);   // 5: not TCP: by CPU
        insn(b, LD_ABS_H, 0, 0, 0, 4);                  // r0 = payload length
        insn(b, ALU64_MOV_X, 9, 0, 0, 0);               // r9 = r0
        insn(b, LD_ABS_B, 0, 0, 0, 40 + 12);            // r0 = data offset and flags
        insn(b, ALU32_RSH_K, 0, 0, 0, 4);               // w0 = data offset in words
        insn(b, ALU32_LSH_K, 0, 0, 0, 2);               // w0 = TCP header length
        insn(b, JEQ_X, 9, 0, toCpu - 12, 0);            // 11: no data: by CPU
        insn(b, JA, 0, 0, 26 - 13, 0);                  // 12: data: to the flow hash at 26
        insn(b, LD_ABS_B, 0, 0, 0, 9);                  // 13: IPv4: r0 = protocol
        insn(b, JNE_K, 0, 0, toCpu - 15, IPPROTO_TCP);  // 14: not TCP: by CPU
        ipv4HeaderLengthToR8(b);                        // 4 instructions: r8 = IHL * 4
        insn(b, LD_ABS_H, 0, 0, 0, 2);                  // r0 = total length
        insn(b, ALU32_SUB_X, 0, 8, 0, 0);               // w0 -= w8: the TCP length
        insn(b, ALU64_MOV_X, 9, 0, 0, 0);               // r9 = r0
        insn(b, LD_IND_B, 0, 8, 0, 12);                 // r0 = data offset and flags
        insn(b, ALU32_RSH_K, 0, 0, 0, 4);               // w0 = data offset in words
        insn(b, ALU32_LSH_K, 0, 0, 0, 2);               // w0 = TCP header length
        insn(b, JEQ_X, 9, 0, toCpu - 26, 0);            // 25: no data: by CPU
        flowHash(b, queues);                            // 26: data: by flow; ends with exit
        insn(b, CALL, 0, 0, 0, BPF_FUNC_GET_SMP_PROCESSOR_ID); // toCpu: r0 = this CPU
        insn(b, ALU64_MOD_K, 0, 0, 0, queues);          // r0 %= queues
        insn(b, EXIT, 0, 0, 0, 0);
        return b.array();
    }

    /** The {@link #flow} program after r6 = skb: {@link #FLOW_HASH_INSNS} instructions ending with exit. */
    private static void flowHash(ByteBuffer b, int queues) {
        insn(b, LD_ABS_B, 0, 0, 0, 0);                  // r0 = version and IHL
        insn(b, ALU32_RSH_K, 0, 0, 0, 4);               // w0 = version
        insn(b, JNE_K, 0, 0, 22, 6);                    // not IPv6: to the IPv4 path
        insn(b, LD_ABS_W, 0, 0, 0, 8);                  // IPv6: r0 = the source's first word
        insn(b, ALU64_MOV_X, 7, 0, 0, 0);               // r7 = r0
        for (int at = 12; at < 40; at += 4) {           // 7 x 2: the other address words
            insn(b, LD_ABS_W, 0, 0, 0, at);             // r0 = the word at 'at'
            insn(b, ALU32_XOR_X, 7, 0, 0, 0);           // w7 ^= w0
        }
        insn(b, LD_ABS_B, 0, 0, 0, 6);                  // r0 = next header
        insn(b, JEQ_K, 0, 0, 1, IPPROTO_TCP);           // TCP: to the ports
        insn(b, JNE_K, 0, 0, 2, IPPROTO_UDP);           // neither TCP nor UDP: to the mixing
        insn(b, LD_ABS_W, 0, 0, 0, 40);                 // r0 = source and destination port
        insn(b, ALU32_XOR_X, 7, 0, 0, 0);               // w7 ^= w0
        insn(b, JA, 0, 0, 13, 0);                       // to the mixing
        insn(b, LD_ABS_W, 0, 0, 0, 12);                 // IPv4: r0 = saddr
        insn(b, ALU64_MOV_X, 7, 0, 0, 0);               // r7 = r0
        insn(b, LD_ABS_W, 0, 0, 0, 16);                 // r0 = daddr
        insn(b, ALU32_XOR_X, 7, 0, 0, 0);               // w7 ^= w0
        insn(b, LD_ABS_B, 0, 0, 0, 9);                  // r0 = protocol
        insn(b, JEQ_K, 0, 0, 1, IPPROTO_TCP);           // TCP: to the ports
        insn(b, JNE_K, 0, 0, 6, IPPROTO_UDP);           // neither TCP nor UDP: to the mixing
        ipv4HeaderLengthToR8(b);                        // 4 instructions: r8 = IHL * 4
        insn(b, LD_IND_W, 0, 8, 0, 0);                  // r0 = source and destination port
        insn(b, ALU32_XOR_X, 7, 0, 0, 0);               // w7 ^= w0
        insn(b, ALU32_MUL_K, 7, 0, 0, 0x9E3779B1);      // the mixing: w7 *= 0x9E3779B1
        insn(b, ALU32_MOV_X, 0, 7, 0, 0);               // w0 = w7
        insn(b, ALU32_RSH_K, 0, 0, 0, 16);              // w0 >>= 16
        insn(b, ALU32_XOR_X, 0, 7, 0, 0);               // w0 ^= w7
        insn(b, ALU32_MOD_K, 0, 0, 0, queues);          // w0 %= queues (unsigned)
        insn(b, EXIT, 0, 0, 0, 0);
    }

    /** r8 = the IPv4 header length in bytes (IHL * 4), through r0: four instructions. */
    private static void ipv4HeaderLengthToR8(ByteBuffer b) {
        insn(b, LD_ABS_B, 0, 0, 0, 0);                  // r0 = version and IHL
        insn(b, ALU32_AND_K, 0, 0, 0, 0x0f);            // w0 = IHL
        insn(b, ALU32_LSH_K, 0, 0, 0, 2);               // w0 = header length in bytes
        insn(b, ALU64_MOV_X, 8, 0, 0, 0);               // r8 = r0
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
