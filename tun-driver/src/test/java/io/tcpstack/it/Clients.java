package io.tcpstack.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Client processes a test starts outside the namespace (tcpstack nc, ctl trace), with stdout and
 * stderr in {@code DIR/NAME.out} and {@code DIR/NAME.err}; those still running when the test
 * ends are stopped, by PID. Register it with {@code @RegisterExtension}.
 */
final class Clients implements AfterEachCallback {
    private final List<Process> started = new ArrayList<>();

    Process start(ProcessBuilder pb, Path dir, String name) throws IOException {
        Process p = pb.redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile())
                .start();
        started.add(p);
        return p;
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        for (Process p : started) {
            p.destroy();
            p.waitFor(3, TimeUnit.SECONDS);
        }
        started.clear();
    }
}
