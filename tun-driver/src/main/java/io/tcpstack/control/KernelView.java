package io.tcpstack.control;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The kernel's side, seen from the daemon's own network namespace (where a kernel peer of the
 * stack lives when both share the TUN device's namespace): its TCP sockets as {@code ss -tio}
 * shows them, and its counters as {@code nstat} does. Each call runs the tool once.
 */
final class KernelView {
    private static final long TIMEOUT_MS = 5000;

    private KernelView() {
    }

    /** The kernel's TCP sockets, one {@code ss -HOntio} line each, by "LOCAL PEER" (198.18.0.1:45000 198.18.0.2:80). */
    static Map<String, String> sockets() {
        Map<String, String> byTuple = new LinkedHashMap<>();
        for (String line : run("ss", "-HOntio")) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 5) {
                byTuple.put(words[3] + " " + words[4], String.join(" ", words));
            }
        }
        return byTuple;
    }

    /** The kernel's counters, {@code nstat -asz} (absolute, zeros too, its history file left alone). */
    static Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        for (String line : run("nstat", "-asz")) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 2 && !words[0].startsWith("#")) {
                try {
                    counters.put(words[0], Long.parseLong(words[1]));
                } catch (NumberFormatException e) {
                    // not a counter line
                }
            }
        }
        return counters;
    }

    private static List<String> run(String... command) {
        String what = String.join(" ", command);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IllegalArgumentException("--kernel runs " + what + " where the daemon runs, and cannot: "
                    + e.getMessage() + " (install iproute2)");
        }
        try (InputStream out = p.getInputStream()) {
            String text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalArgumentException("--kernel: " + what + " failed");
            }
            return text.lines().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("--kernel: reading " + what + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalArgumentException("--kernel: interrupted");
        }
    }
}
