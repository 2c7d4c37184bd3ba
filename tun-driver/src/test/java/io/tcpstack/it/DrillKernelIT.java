package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.drill.Drill;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The project's packetdrill scripts against this machine's kernel, each in a namespace of its
 * own with a TUN device, as packetdrill runs them: so no script can state a wrong belief about
 * Linux. ProjectScriptsTest runs the same scripts against the stack on virtual time.
 *
 * <p>Kernel timing on a loaded two-core machine is noisy: the tolerance is wide (100 ms; the
 * stack runs hold 4 ms), and a script that failed on timing alone gets one more run.
 */
@Tag("netns")
class DrillKernelIT {
    private static final long TOLERANCE_US = 100_000;

    @TestFactory
    Stream<DynamicTest> every_project_script_passes_against_the_kernel() throws IOException {
        Netns.requireRoot();
        Drill drill = new Drill(Drill.Mode.KERNEL, TOLERANCE_US);
        Stream<Path> scripts = Files.list(Path.of("src/test/packetdrill")).filter(p -> p.toString().endsWith(".pkt"))
                .sorted();
        return scripts.map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
            Drill.Outcome o = drill.run(p);
            if (o.kind() == Drill.Kind.FAIL && timingOnly(o.message())) {
                o = drill.run(p);
            }
            assertThat(o.kind()).as("%s: %s", p.getFileName(), o.message()).isEqualTo(Drill.Kind.PASS);
        }));
    }

    private static boolean timingOnly(String message) {
        return message.contains("timing error") || message.contains("blocked") || message.contains("none was sent");
    }
}
