package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's inbound steering on a 2-queue TUN device, against the kernel: with affinity none
 * the eBPF program puts a packet on the queue of the CPU that sent it (ping pinned with taskset),
 * but a TCP segment with data on its flow's queue (an upload whose sender hops between CPUs),
 * with flow one flow lands on one queue whichever CPU sends it, switching at run time attaches the
 * other program, and without the capabilities to load a program the daemon falls back to the
 * kernel's flow table and says so. Queues are read from {@code ctl status} (packets per queue).
 */
@Tag("netns")
class SteeringIT {
    private static final int PINGS = 30;
    private static final String NONE = "queue = flow hash mod 2 for TCP data, sending CPU mod 2 for the rest (eBPF)";
    /** An upload to discard:9 of 64 writes of 64 KiB, the sender moving to the other CPU before each. */
    private static final String HOPPING_UPLOAD = "import os, socket\n"
            + "s = socket.create_connection(('" + Netns.STACK_ADDR + "', 9), timeout=30)\n"
            + "for i in range(64):\n"
            + "    os.sched_setaffinity(0, {i % 2})\n"
            + "    s.sendall(b'x' * 65536)\n"
            + "s.close()\n";

    @TempDir
    Path dir;

    @Test
    void withAffinityNoneAPingArrivesOnTheQueueOfItsCpuAndTcpDataOnTheQueueOfItsFlow() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--queues", "2");
            assertThat(daemon.log()).contains(NONE);
            for (int cpu : new int[] {1, 0, 1}) {
                long[] before = perQueue(daemon);
                pingFrom(ns, cpu);
                long[] delta = delta(before, perQueue(daemon));
                assertThat(delta[cpu]).as("packets on queue %d after a ping pinned to CPU %d", cpu, cpu)
                        .isGreaterThanOrEqualTo(PINGS);
                assertThat(delta[1 - cpu]).as("packets on the other queue meanwhile (strays only)").isLessThan(PINGS / 2);
            }
            long[] before = perQueue(daemon);
            ns.exec(60, "python3", "-c", HOPPING_UPLOAD).ok();
            long[] delta = delta(before, perQueue(daemon));
            // 4 MiB is 2,897 segments of 1448 bytes; without data: the handshake's ACK, the FIN
            // and strays, which go by CPU
            assertThat(Math.max(delta[0], delta[1])).as("the upload's data on one queue: %s", Arrays.toString(delta))
                    .isGreaterThanOrEqualTo(2_897);
            assertThat(Math.min(delta[0], delta[1])).as("the other queue: %s", Arrays.toString(delta)).isLessThan(100);
            assertThat(daemon.terminate()[0]).isZero();
        }
    }

    @Test
    void switchingAffinityAtRunTimeAttachesTheOtherProgram() throws Exception {
        try (Netns ns = Netns.create()) {
            ns.addIpv6();
            DaemonProcess daemon = DaemonProcess.start(ns, dir, "--queues", "2", "--addr", Netns.STACK_ADDR6);
            assertThat(daemon.ctl("set", "affinity", "flow").ok().out()).isEqualTo(
                    "affinity = flow (was none; applies to the next inbound packet)\n"
                            + "inbound steering: queue = flow hash mod 2 (eBPF)\n");
            // one flow (these ICMP echoes), sent from both CPUs, lands on one queue
            long[] before = perQueue(daemon);
            pingFrom(ns, 0);
            pingFrom(ns, 1);
            long[] delta = delta(before, perQueue(daemon));
            assertThat(Math.max(delta[0], delta[1])).as("one queue took both CPUs' pings: %s", Arrays.toString(delta))
                    .isGreaterThanOrEqualTo(2 * PINGS);
            // and one IPv6 flow: the program hashes the 128-bit addresses
            before = perQueue(daemon);
            pingFrom(ns, 0, Netns.STACK_ADDR6);
            pingFrom(ns, 1, Netns.STACK_ADDR6);
            delta = delta(before, perQueue(daemon));
            assertThat(Math.max(delta[0], delta[1])).as("one queue took both CPUs' IPv6 pings: %s", Arrays.toString(delta))
                    .isGreaterThanOrEqualTo(2 * PINGS);

            assertThat(daemon.ctl("set", "affinity", "none").ok().out()).endsWith("inbound steering: " + NONE + "\n");
            for (int cpu : new int[] {0, 1}) {
                long[] was = perQueue(daemon);
                pingFrom(ns, cpu);
                assertThat(delta(was, perQueue(daemon))[cpu]).as("queue %d after ping on CPU %d", cpu, cpu)
                        .isGreaterThanOrEqualTo(PINGS);
            }
            assertThat(daemon.terminate()[0]).isZero();
            assertThat(daemon.log()).contains("tun0 steering: queue = flow hash mod 2 (eBPF)");
        }
    }

    @Test
    void withoutCapBpfAndCapSysAdminTheDaemonFallsBackToTheKernelsFlowTableAndSaysSo() throws Exception {
        try (Netns ns = Netns.create()) {
            DaemonProcess daemon = DaemonProcess.start(ns, dir, List.of("setpriv", "--bounding-set", "-sys_admin,-bpf", "--"),
                    "--queues", "2");
            assertThat(daemon.log()).contains("tun0 steering: cannot use the sending-CPU program (bpf(BPF_PROG_LOAD):"
                    + " Operation not permitted").contains("falling back to the kernel's TUN flow table")
                    .contains("the FIN/ACK race (stack/BEHAVIOURS.md 1) does not happen");
            assertThat(daemon.ctl("status").ok().out()).contains("inbound steering: the kernel's flow table");
            // it still serves
            pingFrom(ns, 1);
            ns.sh(30, "echo hello | nc -N -w 10 " + Netns.STACK_ADDR + " 7 | grep -qx hello").ok();
            assertThat(daemon.terminate()[0]).isZero();
        }
    }

    private static void pingFrom(Netns ns, int cpu) throws Exception {
        pingFrom(ns, cpu, Netns.STACK_ADDR);
    }

    private static void pingFrom(Netns ns, int cpu, String address) throws Exception {
        Netns.Result ping = ns.exec(30, "taskset", "-c", Integer.toString(cpu), "ping", "-n", "-q", "-c",
                Integer.toString(PINGS), "-i", "0.01", "-W", "2", address).ok();
        assertThat(ping.out()).contains(PINGS + " packets transmitted, " + PINGS + " received");
    }

    /** Inbound packets per queue, from {@code ctl status}. */
    private static long[] perQueue(DaemonProcess daemon) throws Exception {
        String status = daemon.ctl("status").ok().out();
        String rest = status.substring(status.indexOf("packets per queue: ") + "packets per queue: ".length());
        String counts = rest.lines().findFirst().orElseThrow().trim(); // other status lines follow
        return Arrays.stream(counts.split(" ")).mapToLong(Long::parseLong).toArray();
    }

    private static long[] delta(long[] before, long[] after) {
        long[] d = new long[after.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = after[i] - before[i];
        }
        return d;
    }
}
