package io.tcpstack.drill;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The public-corpus report: runs a directory of public packetdrill scripts (google/packetdrill's
 * gtests/net/tcp, the kernel selftests' net/packetdrill) and prints a table by category with the
 * most common reasons for "unsupported" and "fail". Scripts of features the stack does not have
 * by design (fast open, zero copy, MD5, TCP-AO, AccECN, PSP) are counted apart.
 */
public final class Corpus {
    /** Features out of the stack's scope: a script whose category or name says so is not run. */
    static final List<String> OUT_OF_SCOPE = List.of("fastopen", "zerocopy", "md5", "tcp_ao", "accecn", "psp");

    private final Drill drill;

    public Corpus(Drill drill) {
        this.drill = drill;
    }

    /** Categories whose names have underscores (google/packetdrill's directories). */
    private static final List<String> LONG_CATEGORIES = List.of("fast_recovery", "fast_retransmit", "slow_start",
            "syscall_bad_arg", "ts_recent", "user_timeout", "tcp_info", "limited_transmit", "cwnd_moderation",
            "mtu_probe", "notsent_lowat", "advmss_pmtu");

    /**
     * A category: a directory under a root (gtests/net/tcp/sack/x.pkt: sack), or the kernel
     * selftests' name prefix (tcp_fast_recovery_prr-ss.pkt: fast_recovery).
     */
    static String category(Path root, Path file) {
        Path rel = root.relativize(file);
        if (rel.getNameCount() > 1) {
            return rel.getName(0).toString();
        }
        String name = file.getFileName().toString().replaceFirst("\\.pkt$", "").replaceFirst("^tcp_", "");
        for (String c : LONG_CATEGORIES) {
            if (name.startsWith(c + "_") || name.equals(c)) {
                return c;
            }
        }
        int underscore = name.indexOf('_');
        return underscore > 0 ? name.substring(0, underscore) : name;
    }

    static String outOfScope(String category, Path file) {
        String name = (category + " " + file.getFileName()).toLowerCase(Locale.ROOT);
        return OUT_OF_SCOPE.stream().filter(name::contains).findFirst().orElse(null);
    }

    /** A reason with its numbers taken out, so that like reasons count together. */
    static String reasonKey(String message) {
        String first = message.lines().findFirst().orElse("");
        return first.replaceAll("\\(line \\d+\\)", "").replaceAll("^line \\d+: ", "").replaceAll("-?\\d+(\\.\\d+)?",
                "N").replaceAll("\\s+", " ").trim();
    }

    private static final class Row {
        int scripts;
        int outOfScope;
        int unsupported;
        int pass;
        int fail;
    }

    public void run(List<Path> roots, List<Path> files, PrintStream out) {
        Map<String, Row> rows = new TreeMap<>();
        Map<String, Integer> unsupportedReasons = new LinkedHashMap<>();
        Map<String, Integer> failReasons = new LinkedHashMap<>();
        List<String> passed = new ArrayList<>();
        for (Path f : files) {
            Path root = roots.stream().filter(r -> f.startsWith(r)).findFirst().orElse(f.getParent());
            String category = category(root, f);
            Row row = rows.computeIfAbsent(category, k -> new Row());
            row.scripts++;
            String excluded = outOfScope(category, f);
            if (excluded != null) {
                row.outOfScope++;
                continue;
            }
            Drill.Outcome o = drill.run(f);
            Drill.print(o, out);
            out.flush();
            switch (o.kind()) {
                case PASS -> {
                    row.pass++;
                    passed.add(root.relativize(f).toString());
                }
                case FAIL -> {
                    row.fail++;
                    failReasons.merge(reasonKey(o.message()), 1, Integer::sum);
                }
                case UNSUPPORTED -> {
                    row.unsupported++;
                    unsupportedReasons.merge(reasonKey(o.message()), 1, Integer::sum);
                }
            }
        }
        out.println();
        out.printf("%-22s %7s %12s %11s %9s %5s %5s %7s%n", "category", "scripts", "out of scope", "unsupported",
                "supported", "pass", "fail", "pass %");
        Row total = new Row();
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            printRow(out, e.getKey(), e.getValue());
            Row r = e.getValue();
            total.scripts += r.scripts;
            total.outOfScope += r.outOfScope;
            total.unsupported += r.unsupported;
            total.pass += r.pass;
            total.fail += r.fail;
        }
        printRow(out, "total", total);
        out.println();
        printReasons(out, "unsupported", unsupportedReasons);
        printReasons(out, "fail", failReasons);
    }

    private static void printRow(PrintStream out, String name, Row r) {
        int supported = r.pass + r.fail;
        out.printf("%-22s %7d %12d %11d %9d %5d %5d %7s%n", name, r.scripts, r.outOfScope, r.unsupported, supported,
                r.pass, r.fail, supported == 0 ? "-" : String.format("%.0f%%", 100.0 * r.pass / supported));
    }

    private static void printReasons(PrintStream out, String what, Map<String, Integer> reasons) {
        out.println("most common reasons for " + what + ":");
        reasons.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(10)
                .collect(Collectors.toList())
                .forEach(e -> out.printf("%5d  %s%n", e.getValue(), e.getKey()));
        out.println();
    }
}
