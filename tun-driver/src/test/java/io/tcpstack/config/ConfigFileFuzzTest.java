package io.tcpstack.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tcpstack.profile.Knob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz test of the daemon's config file: any bytes either load, every knob then reading back in
 * its canonical spelling and every value usable as the daemon uses it at start, or are refused
 * with one IllegalArgumentException that names the file (and, for a bad line, the line); nothing
 * else is thrown.
 */
class ConfigFileFuzzTest {
    private static Path file;

    @BeforeAll
    static void createFile() throws IOException {
        file = Files.createTempFile("tcpstack-fuzz", ".conf");
    }

    @AfterAll
    static void deleteFile() throws IOException {
        Files.deleteIfExists(file);
    }

    @FuzzTest(maxDuration = "30s")
    void configFile(byte[] input) throws IOException {
        Files.write(file, input);
        Config config;
        try {
            config = Config.resolve(HostKnobs.forDaemon(), file, Map.of());
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).as("the error names the file").startsWith(file.toString());
            assertThat(e.getMessage()).doesNotContain("\n");
            return;
        }
        for (Knob knob : config.knobs()) {
            String value = config.value(knob);
            assertThat(knob.canonical(value)).as("%s reads back", knob.name()).isEqualTo(value);
        }
        // what the daemon makes of the values at start: a valid value never fails later
        config.settings();
        config.stackOptions();
        config.services();
        config.controlPath();
        config.controlTimeoutMs();
        config.drainTimeoutMs();
        config.summaryIntervalMs();
    }
}
