package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace made for one test ({@code tcpstack-test-PID-N}) holding a multi-queue TUN
 * device {@code tun0} whose kernel side is 198.18.0.1/24. Commands run inside it with {@code ip
 * netns exec}; {@link #close()} stops what the test started there and deletes the namespace.
 */
final class Netns implements AutoCloseable {
    static final String KERNEL_ADDR = "198.18.0.1";
    static final String STACK_ADDR = "198.18.0.2";
    /** The IPv6 plan (RFC 5180's benchmarking prefix): the kernel side of tun0 after {@link #addIpv6}, and the stack. */
    static final String KERNEL_ADDR6 = "2001:2::1";
    static final String STACK_ADDR6 = "2001:2::2";
    static final String DEVICE = "tun0";
    private static final AtomicInteger SEQ = new AtomicInteger();

    final String name;
    private final List<Process> started = new ArrayList<>();

    /** A result of a command run to completion. */
    record Result(int exit, String out, String err) {
        Result ok() {
            assertThat(exit).as("exit status; stderr: %s; stdout: %s", err, out).isZero();
            return this;
        }
    }

    private Netns(String name) {
        this.name = name;
    }

    /** Skips without root on a developer machine; fails where -Dnetns.required=true (CI, test.sh). */
    static void requireRoot() {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && Boolean.getBoolean("netns.required")) {
            fail("netns integration tests need root (netns.required=true)");
        }
        assumeTrue(root, "netns integration tests need root");
    }

    /** A fresh namespace with lo up and a multi-queue tun0 (198.18.0.1/24, MTU 1500, up). */
    static Netns create() throws IOException, InterruptedException {
        Netns ns = createEmpty();
        try {
            ns.exec(10, "ip", "tuntap", "add", "dev", DEVICE, "mode", "tun", "multi_queue").ok();
            ns.configure(DEVICE);
        } catch (AssertionError | IOException | InterruptedException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** A fresh namespace with only lo, up. */
    static Netns createEmpty() throws IOException, InterruptedException {
        requireRoot();
        Netns ns = new Netns("tcpstack-test-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
        run(30, "ip", "netns", "add", ns.name).ok();
        try {
            ns.exec(10, "ip", "link", "set", "lo", "up").ok();
        } catch (AssertionError | IOException | InterruptedException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /**
     * Moves a device this process opened in the root namespace into this one and configures it
     * (open file descriptors keep working across the move).
     */
    void adopt(String device) throws IOException, InterruptedException {
        run(10, "ip", "link", "set", "dev", device, "netns", name).ok();
        configure(device);
    }

    private void configure(String device) throws IOException, InterruptedException {
        exec(10, "ip", "addr", "add", KERNEL_ADDR + "/24", "dev", device).ok();
        exec(10, "ip", "link", "set", device, "mtu", "1500", "up").ok();
    }

    /**
     * Gives tun0's kernel side 2001:2::1/64 as run.sh does (no duplicate address detection on a
     * point-to-point TUN link: usable at once).
     */
    void addIpv6() throws IOException, InterruptedException {
        exec(10, "ip", "-6", "addr", "add", KERNEL_ADDR6 + "/64", "dev", DEVICE, "nodad").ok();
    }

    /** Runs a command inside the namespace and waits at most {@code timeoutSeconds}. */
    Result exec(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        return run(timeoutSeconds, inside(command));
    }

    /** {@code ss ARGS} inside the namespace, its output; unchecked, for conditions polled in lambdas. */
    String ss(String... args) {
        List<String> command = new ArrayList<>(List.of("ss"));
        command.addAll(List.of(args));
        try {
            return exec(10, command.toArray(String[]::new)).ok().out();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a shell snippet inside the namespace (for pipes). */
    Result sh(int timeoutSeconds, String script) throws IOException, InterruptedException {
        return exec(timeoutSeconds, "bash", "-o", "pipefail", "-c", script);
    }

    /** Starts a command inside the namespace; it is killed (by PID) at {@link #close()}. */
    Process start(Path stdout, Path stderr, String... command) throws IOException {
        Process p = new ProcessBuilder(inside(command)).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .start();
        started.add(p);
        return p;
    }

    List<String> inside(String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(command));
        return full;
    }

    static Result run(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        return run(timeoutSeconds, List.of(command));
    }

    static Result run(int timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        return run(timeoutSeconds, null, command);
    }

    /** Runs {@code command} in the working directory {@code dir} (null: this process's). */
    static Result run(int timeoutSeconds, Path dir, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("tcpstack-it", ".out");
        Path err = Files.createTempFile("tcpstack-it", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (dir != null) {
                builder.directory(dir.toFile());
            }
            Process p = builder.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail("timed out after " + timeoutSeconds + " s: " + String.join(" ", command) + "\nstdout: "
                        + Files.readString(out) + "\nstderr: " + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(3, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
                }
            }
        }
        run(30, "ip", "netns", "del", name);
    }
}
