package io.tcpstack.drill;

import io.tcpstack.drill.Syscalls.Call;
import io.tcpstack.drill.Syscalls.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The kernel of this machine, as packetdrill drives it: a network namespace made for the script
 * ({@code tcpstack-drill-PID-N}) holding a TUN device {@code tun0} (198.18.0.1/24, the kernel's
 * side) through which the script peer (198.18.0.2) injects and sniffs packets, and the system
 * calls made on real kernel sockets through libc, so errno is the kernel's own. A thread that
 * entered the namespace (setns) opens the device and the sockets; the namespace is deleted at
 * {@link #close()}.
 */
final class KernelTarget implements Target {
    private static final AtomicInteger SEQ = new AtomicInteger();
    /** Namespaces made and not yet deleted: a JVM stopped by a signal deletes them on its way out. */
    private static final java.util.Set<String> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (String ns : LIVE) {
                try {
                    new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(5, TimeUnit.SECONDS);
                } catch (IOException | InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "drill-netns-cleanup"));
    }
    private static final int CLONE_NEWNET = 0x40000000;
    private static final long TUNSETIFF = 0x400454caL;

    private final KernelLibC c = KernelLibC.INSTANCE;
    private final Runtime runtime = Runtime.getRuntime(KernelLibC.INSTANCE);
    private final String netns = "tcpstack-drill-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    /** Runs the calls a script says may block ({@code start...end}); the others run on the caller's thread. */
    private final ExecutorService blocking;
    /** The caller's own namespace, to go back to at {@link #close()}. */
    private final int homeNs;
    private final BlockingQueue<Outbound> sent = new LinkedBlockingQueue<>();
    /** A packet taken from {@link #sent} by {@link #peekOutbound} and not yet by {@link #nextOutbound}. */
    private Outbound peeked;
    private final Thread reader;
    private final KernelSockets sockets;
    private volatile boolean closed;
    private volatile long t0 = System.nanoTime();
    private int tunFd = -1;

    KernelTarget(List<String> notes) {
        homeNs = c.open("/proc/thread-self/ns/net", 0x80000);
        if (homeNs < 0) {
            throw new IllegalStateException("cannot open /proc/thread-self/ns/net (the kernel target needs root): "
                    + c.strerror(runtime.getLastError()));
        }
        run(10, "ip", "netns", "add", netns);
        LIVE.add(netns);
        blocking = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "drill-blocking-call");
            t.setDaemon(true);
            return t;
        });
        try {
            enterAndOpenTun();
            run(10, "ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1");
            run(10, "ip", "-n", netns, "link", "set", "lo", "up");
            run(10, "ip", "-n", netns, "addr", "add", "198.18.0.1/24", "dev", "tun0");
            run(10, "ip", "-n", netns, "link", "set", "tun0", "mtu", "1500", "up");
            // packetdrill's defaults.sh: no pacing qdisc on the device
            run(10, "ip", "netns", "exec", netns, "tc", "qdisc", "replace", "dev", "tun0", "root", "pfifo");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        sockets = new KernelSockets(c, runtime, LOCAL, REMOTE, Runner.SCRIPT_PORT, this::nowMicros);
        reader = new Thread(this::readLoop, "drill-tun-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void enterAndOpenTun() {
        int nsFd = c.open("/var/run/netns/" + netns, 0x80000);
        if (nsFd < 0 || c.setns(nsFd, CLONE_NEWNET) != 0) {
            throw new IllegalStateException("cannot enter network namespace " + netns + ": "
                    + c.strerror(runtime.getLastError()));
        }
        c.close(nsFd);
        tunFd = c.open("/dev/net/tun", 0x2 | 0x800 | 0x80000);
        if (tunFd < 0) {
            throw new IllegalStateException("cannot open /dev/net/tun: " + c.strerror(runtime.getLastError()));
        }
        Pointer ifr = Memory.allocateDirect(runtime, 40);
        ifr.put(0, "tun0".getBytes(StandardCharsets.US_ASCII), 0, 4);
        ifr.putShort(16, (short) 0x1001); // IFF_TUN | IFF_NO_PI
        if (c.ioctl(tunFd, TUNSETIFF, ifr) != 0) {
            throw new IllegalStateException("TUNSETIFF: " + c.strerror(runtime.getLastError()));
        }
    }

    private void readLoop() {
        Pointer buf = Memory.allocateDirect(runtime, 65536);
        Pointer pfd = Memory.allocateDirect(runtime, 8);
        while (!closed) {
            pfd.putInt(0, tunFd);
            pfd.putShort(4, (short) 1);
            pfd.putShort(6, (short) 0);
            if (c.poll(pfd, 1, 20) <= 0) {
                continue;
            }
            long n = c.read(tunFd, buf, 65536);
            if (n > 0) {
                long at = nowMicros();
                byte[] packet = new byte[(int) n];
                buf.get(0, packet, 0, (int) n);
                sent.add(new Outbound(at, packet));
            }
        }
    }

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public void start() {
        sent.clear();
        peeked = null;
        t0 = System.nanoTime();
    }

    @Override
    public long nowMicros() {
        return (System.nanoTime() - t0) / 1000;
    }

    @Override
    public void waitUntil(long micros) {
        while (true) {
            long left = micros - nowMicros();
            if (left <= 0) {
                return;
            }
            if (left > 2000) {
                sleepMicros(left - 1000);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private static void sleepMicros(long micros) {
        try {
            TimeUnit.MICROSECONDS.sleep(micros);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void inject(byte[] packet) {
        Pointer buf = Memory.allocateDirect(runtime, packet.length);
        buf.put(0, packet, 0, packet.length);
        c.write(tunFd, buf, packet.length);
    }

    @Override
    public Outbound nextOutbound(long deadlineMicros) {
        Outbound o = peekOutbound(deadlineMicros);
        peeked = null;
        return o;
    }

    @Override
    public Outbound peekOutbound(long deadlineMicros) {
        if (peeked == null) {
            try {
                peeked = sent.poll(Math.max(0, deadlineMicros - nowMicros()), TimeUnit.MICROSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return peeked;
    }

    @Override
    public void command(String commandLine, Path scriptDir) throws UnsupportedFeature {
        try {
            Process p = new ProcessBuilder("ip", "netns", "exec", netns, "sh", "-c", commandLine)
                    .directory(scriptDir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new UnsupportedFeature("command timed out: `" + commandLine.trim() + "`");
            }
            if (p.exitValue() != 0) {
                throw new UnsupportedFeature("command failed (exit " + p.exitValue() + "): `" + commandLine.trim()
                        + "` " + out.trim());
            }
        } catch (IOException e) {
            throw new UnsupportedFeature("command: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnsupportedFeature("interrupted");
        }
    }

    private record FuturePending(CompletableFuture<Result> future) implements Pending {
        @Override
        public Result result() {
            return future.getNow(null);
        }
    }

    /**
     * A call runs on this thread, which is in the namespace (socket() makes its socket there),
     * unless the script says it blocks: then on a helper thread, while the script goes on.
     */
    @Override
    public Pending call(Call call, boolean mayBlock) {
        if (mayBlock) {
            return new FuturePending(CompletableFuture.supplyAsync(() -> sockets.execute(call), blocking));
        }
        return new FuturePending(CompletableFuture.completedFuture(sockets.execute(call)));
    }

    @Override
    public boolean await(Pending p, long deadlineMicros) {
        try {
            ((FuturePending) p).future.get(Math.max(0, deadlineMicros - nowMicros()), TimeUnit.MICROSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        closed = true;
        if (sockets != null) {
            sockets.closeAll();
        }
        if (reader != null) {
            try {
                reader.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (tunFd >= 0) {
            c.close(tunFd);
        }
        if (blocking != null) {
            blocking.shutdownNow();
        }
        if (homeNs >= 0) {
            c.setns(homeNs, CLONE_NEWNET);
            c.close(homeNs);
        }
        run(30, "ip", "netns", "del", netns);
        LIVE.remove(netns);
    }

    private static void run(int timeoutSeconds, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + ": " + out.trim());
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
