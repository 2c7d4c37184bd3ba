package io.tcpstack.cli;

import io.tcpstack.config.Config;
import io.tcpstack.config.HostKnobs;
import io.tcpstack.profile.Knob;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command whose options include knobs: {@link Main} adds a {@code --NAME} option for each of
 * {@link #knobs()} ({@link KnobOptions}), the values typed land in {@link #flags()} raw, and
 * {@link #resolve} validates them through the knobs.
 */
abstract class KnobCommand {
    private final Map<Knob, String> flags = new LinkedHashMap<>();

    /** The knobs this command takes: by default those of a stack on a TUN device. */
    List<Knob> knobs() {
        return HostKnobs.forStack();
    }

    final Map<Knob, String> flags() {
        return flags;
    }

    /** The flags over {@code file}'s values (file may be null), validated; configures logging at the level they give. */
    final Config resolve(Path file) {
        Config config = Config.resolve(knobs(), file, flags);
        Logging.configure(config.logLevel());
        return config;
    }
}
