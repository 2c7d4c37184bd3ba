package io.tcpstack.config;

import io.tcpstack.profile.Knob;
import io.tcpstack.profile.KnobRegistry;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's config file: one knob per line, {@code NAME = VALUE} (or {@code NAME VALUE}),
 * names as the flags spell them without "--" or as the Linux sysctl they mirror; '#' starts a
 * comment; blank lines are ignored. A knob may appear once. Every error names the file, the line
 * and the knob.
 */
public final class ConfigFile {
    /** Larger files are refused: a config file is a few dozen lines. */
    static final long MAX_BYTES = 1 << 20;

    private ConfigFile() {
    }

    /** Reads {@code file}; IllegalArgumentException "FILE:LINE: ..." for the first error. */
    public static KnobValues read(Path file, List<Knob> knobs) {
        List<String> lines;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException(file + ": larger than " + MAX_BYTES + " bytes; not a config file");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config file " + file + ": " + describe(e));
        }
        return parse(file.toString(), lines, knobs);
    }

    static KnobValues parse(String name, List<String> lines, List<Knob> knobs) {
        KnobValues values = new KnobValues();
        Map<Knob, Integer> seen = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String where = name + ":" + (i + 1);
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (text.isEmpty()) {
                continue;
            }
            String[] kv = text.split("\\s*=\\s*|\\s+", 2);
            String key = kv[0];
            Knob knob = KnobRegistry.find(knobs, key).orElseThrow(() -> new IllegalArgumentException(
                    where + ": unknown knob '" + key + "' (tcpstack daemon --help lists them)"));
            if (kv.length < 2 || kv[1].isBlank()) {
                throw new IllegalArgumentException(where + ": " + knob.name() + " needs a value: " + knob.type().allowed());
            }
            Integer first = seen.putIfAbsent(knob, i + 1);
            if (first != null) {
                throw new IllegalArgumentException(where + ": " + knob.name() + " is already set on line " + first);
            }
            values.put(knob, kv[1], where + ": " + knob.name());
        }
        return values;
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.toString();
    }
}
