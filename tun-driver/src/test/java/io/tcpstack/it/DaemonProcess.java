package io.tcpstack.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The shaded daemon jar running inside a {@link Netns}, started and stopped by PID, with its
 * control socket in the test's temporary directory (never /run: tests run beside other daemons).
 */
final class DaemonProcess {
    private static final long READY_TIMEOUT_MS = 120_000; // a JVM start on a loaded 2-core machine can take over 30 s

    final Process process;
    final Path stdout;
    final Path stderr;
    final Path control;

    private DaemonProcess(Process process, Path stdout, Path stderr, Path control) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.control = control;
    }

    static String jar() {
        String jar = System.getProperty("tcpstack.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            fail("tcpstack.jar system property must name the shaded jar (run through failsafe after package): " + jar);
        }
        return jar;
    }

    private static Path readable;

    /**
     * A copy of the jar that every user can read (mode 0644 in a 0755 directory under
     * java.io.tmpdir), made once per test JVM and deleted when it exits.
     */
    static synchronized Path readableJar() throws IOException {
        if (readable == null) {
            Path dir = Files.createTempDirectory("tcpstack-it-jar");
            dir.toFile().deleteOnExit();
            Path copy = dir.resolve("tcpstack.jar");
            Files.copy(Path.of(jar()), copy);
            copy.toFile().deleteOnExit(); // registered after its directory: deleted before it
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            readable = copy;
        }
        return readable;
    }

    static String scripts() {
        return System.getProperty("tcpstack.scripts", "../scripts");
    }

    /**
     * Starts {@code tcpstack daemon --dev tun0 --addr 198.18.0.2 --control DIR/control.sock ARGS}
     * and waits for its ready line.
     */
    static DaemonProcess start(Netns ns, Path dir, String... args) throws IOException, InterruptedException {
        return start(ns, dir, List.of(), args);
    }

    /** The same, the JVM run through {@code prefix} (setpriv with fewer capabilities, say). */
    static DaemonProcess start(Netns ns, Path dir, List<String> prefix, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("java", "-jar", jar(), "daemon", "--dev", Netns.DEVICE, "--addr", Netns.STACK_ADDR));
        Path control = dir.resolve("control.sock");
        if (!Arrays.asList(args).contains("--control")) {
            command.addAll(List.of("--control", control.toString()));
        }
        command.addAll(List.of(args));
        Path out = dir.resolve("daemon.out");
        Path err = dir.resolve("daemon.err");
        Process p = ns.start(out, err, command.toArray(String[]::new));
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (Files.readString(out).contains("tcpstack ready:")) {
                return new DaemonProcess(p, out, err, control);
            }
            if (!p.isAlive()) {
                fail("daemon exited with " + p.exitValue() + " before it was ready:\n" + Files.readString(err));
            }
            Thread.sleep(50);
        }
        fail("daemon not ready after " + READY_TIMEOUT_MS + " ms:\n" + Files.readString(err));
        return null;
    }

    /** {@code tcpstack ctl ARGS --control SOCKET}, run as root from the root namespace (the socket is a file). */
    Netns.Result ctl(String... args) throws IOException, InterruptedException {
        return Netns.run(120, ctlCommand(List.of(), args)); // generous: a JVM start on a loaded machine
    }

    /**
     * The same, run through {@code setpriv PRIV...} (another user), from a copy of the jar that
     * user can read, in a directory it can enter: the checkout may sit where only root can
     * ({@code mktemp -d}, /root).
     */
    Netns.Result ctlAs(List<String> setpriv, String... args) throws IOException, InterruptedException {
        List<String> privileges = new ArrayList<>(List.of("setpriv"));
        privileges.addAll(setpriv);
        Path jar = readableJar();
        return Netns.run(30, jar.getParent(), ctlCommand(privileges, jar.toString(), args));
    }

    private List<String> ctlCommand(List<String> prefix, String... args) {
        return ctlCommand(prefix, jar(), args);
    }

    private List<String> ctlCommand(List<String> prefix, String jar, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("java", "-jar", jar, "ctl"));
        command.addAll(List.of(args));
        command.addAll(List.of("--control", control.toString()));
        return command;
    }

    /** {@code tcpstack nc ARGS --control SOCKET} as a running process (stdin, stdout and stderr are the caller's). */
    ProcessBuilder nc(String... args) {
        List<String> command = new ArrayList<>(List.of("java", "-jar", jar(), "nc"));
        command.addAll(List.of(args));
        command.addAll(List.of("--control", control.toString()));
        return new ProcessBuilder(command);
    }

    /** Sends {@code signal} (HUP, TERM...) to the daemon's JVM (ip netns exec execs it: same PID). */
    void signal(String signal) throws IOException, InterruptedException {
        Netns.run(5, "kill", "-" + signal, Long.toString(process.pid())).ok();
    }

    /** SIGTERM, then the exit status and how long the exit took, in milliseconds. */
    long[] terminate() throws InterruptedException {
        long t0 = System.nanoTime();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            fail("daemon did not exit within 10 s of SIGTERM");
        }
        return new long[] {process.exitValue(), (System.nanoTime() - t0) / 1_000_000};
    }

    String log() throws IOException {
        return Files.readString(stderr);
    }

    /** Waits up to {@code seconds} for {@code condition}; fails with {@code what} if it never holds. */
    static void await(int seconds, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + seconds + " s for " + what);
            }
            Thread.sleep(20);
        }
    }

    /** The file's text, or "" if it does not exist yet. */
    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
