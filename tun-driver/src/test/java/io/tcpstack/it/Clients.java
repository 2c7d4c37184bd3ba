package io.tcpstack.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Client processes a test starts outside the namespace (tcpstack nc, ctl trace), with stdout and
 * stderr in {@code DIR/NAME.out} and {@code DIR/NAME.err}; {@link #close} stops those still
 * running, by PID.
 */
final class Clients implements AutoCloseable {
    private final Path dir;
    private final List<Process> started = new ArrayList<>();

    Clients(Path dir) {
        this.dir = dir;
    }

    Process start(ProcessBuilder pb, String name) throws IOException {
        Process p = pb.redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile())
                .start();
        started.add(p);
        return p;
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : started) {
            p.destroy();
            p.waitFor(3, TimeUnit.SECONDS);
        }
    }
}
