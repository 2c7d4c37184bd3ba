package io.tcpstack.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The shaded daemon jar running inside a {@link Netns}, started and stopped by PID. */
final class DaemonProcess {
    private static final long READY_TIMEOUT_MS = 30_000;

    final Process process;
    final Path stdout;
    final Path stderr;

    private DaemonProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code tcpstack daemon --dev tun0 --addr 198.18.0.2 ARGS} and waits for its ready line. */
    static DaemonProcess start(Netns ns, Path dir, String... args) throws IOException, InterruptedException {
        String jar = System.getProperty("tcpstack.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            fail("tcpstack.jar system property must name the shaded jar (run through failsafe after package): " + jar);
        }
        List<String> command = new ArrayList<>(List.of("java", "-jar", jar, "daemon", "--dev", Netns.DEVICE,
                "--addr", Netns.STACK_ADDR));
        command.addAll(List.of(args));
        Path out = dir.resolve("daemon.out");
        Path err = dir.resolve("daemon.err");
        Process p = ns.start(out, err, command.toArray(String[]::new));
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (Files.readString(out).contains("tcpstack ready:")) {
                return new DaemonProcess(p, out, err);
            }
            if (!p.isAlive()) {
                fail("daemon exited with " + p.exitValue() + " before it was ready:\n" + Files.readString(err));
            }
            Thread.sleep(50);
        }
        fail("daemon not ready after " + READY_TIMEOUT_MS + " ms:\n" + Files.readString(err));
        return null;
    }

    /** SIGTERM, then the exit status and how long the exit took, in milliseconds. */
    long[] terminate() throws InterruptedException {
        long t0 = System.nanoTime();
        // ip netns exec execs the command, so this PID is the JVM's own
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
}
