package io.tcpstack.cli;

import io.tcpstack.drill.Corpus;
import io.tcpstack.drill.Drill;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tcpstack drill}: packetdrill scripts against the stack on virtual time, or against this machine's kernel. */
@Command(name = "drill", mixinStandardHelpOptions = true,
        description = {"Runs packetdrill scripts against the stack on virtual time (default) or against this "
                + "machine's kernel (--kernel: a TUN device in a fresh network namespace, root only).",
            "Prints pass, FAIL (the script line, the expected and the actual packet) or unsupported (why) per script;"
                + " exit status 0 only when every script passes."})
final class DrillCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE.pkt|DIR", arity = "1..*", description = "scripts, or directories searched for *.pkt")
    List<Path> paths;

    @Option(names = "--kernel", description = "run against the kernel instead of the stack")
    boolean kernel;

    @Option(names = "--tolerance_usecs", paramLabel = "US", defaultValue = "4000",
            description = "timing tolerance in microseconds, as packetdrill's (default: ${DEFAULT-VALUE})")
    long toleranceUs;

    @Option(names = "--report", description = "run a corpus of public scripts and print a table by category "
            + "(the directory under each FILE|DIR), with the most common reasons for unsupported and fail")
    boolean report;

    @Override
    public Integer call() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(f -> f.toString().endsWith(".pkt")).sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new IllegalArgumentException("no such file or directory: " + p);
            }
        }
        Drill drill = new Drill(kernel ? Drill.Mode.KERNEL : Drill.Mode.STACK, toleranceUs);
        if (report) {
            Corpus corpus = new Corpus(drill);
            corpus.run(paths, files, System.out);
            return 0;
        }
        int failed = 0;
        int unsupported = 0;
        for (Path f : files) {
            Drill.Outcome o = drill.run(f);
            Drill.print(o, System.out);
            System.out.flush();
            if (!o.passed()) {
                if (o.kind() == Drill.Kind.UNSUPPORTED) {
                    unsupported++;
                } else {
                    failed++;
                }
            }
        }
        System.out.printf("%d scripts: %d passed, %d failed, %d unsupported (%s)%n", files.size(),
                files.size() - failed - unsupported, failed, unsupported, kernel ? "kernel" : "stack");
        return failed + unsupported == 0 ? 0 : 1;
    }
}
