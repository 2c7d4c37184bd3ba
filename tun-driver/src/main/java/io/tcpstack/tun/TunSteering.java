package io.tcpstack.tun;

import io.tcpstack.link.Steering;
import java.io.IOException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which queue of a multi-queue {@link TunDevice} the kernel puts a packet on: the steering eBPF
 * program attached with {@code TUNSETSTEERINGEBPF} ({@link SteeringProgram}; drivers/net/tun.c
 * tun_ebpf_select_queue), or without one the kernel's flow table (tun_automq_select_queue), and
 * the CPUs each queue's reader runs on so that a packet is processed where it was sent.
 */
final class TunSteering {
    /** Logs as the device it steers. */
    private static final Logger log = LoggerFactory.getLogger(TunDevice.class);
    /** A cpu_set_t: 1024 CPUs. */
    private static final int CPU_SET_BYTES = 128;
    static final String KERNEL_FLOW_TABLE = "the kernel's flow table: each flow on the queue last written";

    private final String name;
    private final int[] fds;
    private final LibC libc;
    private final Runtime runtime;
    /** Loaded steering programs by {@link Steering} ordinal, or null. */
    private final Program[] programs = new Program[Steering.values().length];
    private boolean programAttached;
    private volatile String steering;

    TunSteering(String name, int[] fds, LibC libc, Runtime runtime) {
        this.name = name;
        this.fds = fds;
        this.libc = libc;
        this.runtime = runtime;
        this.steering = fds.length == 1 ? "one queue" : KERNEL_FLOW_TABLE;
    }

    /**
     * Attaches the steering program of {@code steering} ({@link SteeringProgram}), loading it the
     * first time. Where it cannot be loaded or attached (no CAP_BPF or CAP_SYS_ADMIN, a kernel
     * without BPF or TUNSETSTEERINGEBPF), detaches whatever program is there and says in one log
     * line what that means: the kernel's own flow table then steers, each flow to the queue it
     * was last written on.
     */
    void steer(Steering steering) {
        try {
            Program program = program(steering);
            attachProgram(program.fd());
            programAttached = true;
            this.steering = program.does();
            log.info("{} steering: {}", name, this.steering);
        } catch (IOException e) {
            detachProgram();
            this.steering = KERNEL_FLOW_TABLE + " (no eBPF: " + e.getMessage() + ")";
            log.warn("{} steering: cannot use the {} program ({}; loading one needs CAP_BPF or CAP_SYS_ADMIN and a kernel"
                    + " with BPF): falling"
                    + " back to the kernel's TUN flow table, which sends each flow to the queue the stack last wrote"
                    + " it on. {}", name, steering == Steering.FLOW ? "flow" : "sending-CPU", e.getMessage(),
                    steering == Steering.FLOW ? "Flow affinity is unchanged."
                            : "Each connection then stays on one queue: its ACK and its RST or FIN are never"
                                    + " processed at once, so the FIN/ACK race (stack/BEHAVIOURS.md 1) does not happen;"
                                    + " affinity spray still makes it happen.");
        }
    }

    /** How the kernel picks a packet's queue, in words. */
    String describe() {
        return steering;
    }

    /** A loaded steering program and what it does, in words. */
    private record Program(int fd, String does) {
    }

    private Program program(Steering steering) throws IOException {
        Program p = programs[steering.ordinal()];
        if (p == null) {
            int n = fds.length;
            p = switch (steering) {
                case FLOW -> new Program(SteeringProgram.load(SteeringProgram.flow(n), libc, runtime),
                        "queue = flow hash mod " + n + " (eBPF)");
                case DATA_BY_FLOW -> new Program(SteeringProgram.load(SteeringProgram.dataByFlow(n), libc, runtime),
                        "queue = flow hash mod " + n + " for TCP data, sending CPU mod " + n + " for the rest (eBPF)");
                case SENDING_CPU -> new Program(SteeringProgram.load(SteeringProgram.sendingCpu(n), libc, runtime),
                        "queue = sending CPU mod " + n + " (eBPF)");
            };
            programs[steering.ordinal()] = p;
        }
        return p;
    }

    private void attachProgram(int program) throws IOException {
        Pointer fd = Memory.allocateDirect(runtime, 4, true);
        fd.putInt(0, program);
        if (libc.ioctl(fds[0], SteeringProgram.TUNSETSTEERINGEBPF, fd) < 0) {
            throw TunDevice.failure("TUNSETSTEERINGEBPF", runtime, libc);
        }
    }

    /** Detaches our program, so that a device that outlives us steers as the kernel does. */
    void detachProgram() {
        if (programAttached) {
            try {
                attachProgram(-1);
            } catch (IOException e) {
                log.warn("{}: detaching the steering program: {}", name, e.getMessage());
            }
            programAttached = false;
        }
    }

    /**
     * Keeps reader {@code queue} on the CPUs whose packets the sending-CPU program puts on its
     * queue (CPU mod queues = queue), within the CPUs the process may use: a packet is then
     * processed on the CPU that sent it (with as many queues as CPUs), or on one congruent to it,
     * as each CPU's NAPI poll runs that CPU's backlog on Linux. Where no allowed CPU fits, the
     * reader runs anywhere.
     */
    void pinReader(int queue) {
        if (fds.length == 1) {
            return;
        }
        Pointer mask = Memory.allocateDirect(runtime, CPU_SET_BYTES, true);
        if (libc.sched_getaffinity(0, CPU_SET_BYTES, mask) < 0) {
            log.warn("{} queue {}: sched_getaffinity: {}", name, queue, libc.strerror(runtime.getLastError()));
            return;
        }
        boolean any = false;
        for (int cpu = 0; cpu < CPU_SET_BYTES * 8; cpu++) {
            byte bits = mask.getByte(cpu / 8);
            int bit = 1 << (cpu % 8);
            if ((bits & bit) != 0 && cpu % fds.length != queue) {
                mask.putByte(cpu / 8, (byte) (bits & ~bit)); // allowed, but another queue's CPU
            }
            any |= (bits & bit) != 0 && cpu % fds.length == queue;
        }
        if (!any) {
            log.info("{} queue {}: no allowed CPU is {} mod {}; its reader runs on any", name, queue, queue, fds.length);
        } else if (libc.sched_setaffinity(0, CPU_SET_BYTES, mask) < 0) {
            log.warn("{} queue {}: sched_setaffinity: {}", name, queue, libc.strerror(runtime.getLastError()));
        }
    }

    /** Closes every program loaded (after {@link #detachProgram}, when the device closes). */
    void closePrograms() {
        for (Program program : programs) {
            if (program != null) {
                libc.close(program.fd());
            }
        }
    }
}
