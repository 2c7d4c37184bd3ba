package io.tcpstack.drill;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs packetdrill scripts: parses each file, runs it on a fresh target and prints one verdict
 * per script (pass, fail with the script line and the expected and actual packet, or
 * unsupported with the reason).
 */
public final class Drill {
    /** Default tolerance: packetdrill's --tolerance_usecs. */
    public static final long DEFAULT_TOLERANCE_US = 4000;

    /** A script's verdict. */
    public enum Kind { PASS, FAIL, UNSUPPORTED }

    /** Which system a script runs against. */
    public enum Mode { STACK, KERNEL }

    /** A script's outcome. */
    public record Outcome(Path file, Kind kind, String message, List<String> notes) {
        public boolean passed() {
            return kind == Kind.PASS;
        }
    }

    private final Mode mode;
    private final long toleranceUs;

    public Drill(Mode mode, long toleranceUs) {
        this.mode = mode;
        this.toleranceUs = toleranceUs;
    }

    /** Runs one script on a fresh target. */
    public Outcome run(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new Outcome(file, Kind.FAIL, "cannot read: " + e.getMessage(), List.of());
        }
        return run(file, text);
    }

    Outcome run(Path file, String text) {
        Script script;
        try {
            script = ScriptParser.parse(file.getFileName().toString(), text);
        } catch (ScriptParser.ParseException e) {
            return new Outcome(file, Kind.UNSUPPORTED, "syntax: " + e.getMessage(), List.of());
        }
        long tolerance = toleranceUs;
        String scriptTolerance = script.options().get("tolerance_usecs");
        if (scriptTolerance != null) {
            tolerance = Math.max(tolerance, Long.parseLong(scriptTolerance));
        }
        List<String> notes = new ArrayList<>();
        Function<List<String>, Target> factory = mode == Mode.STACK ? StackTarget::new : KernelTarget::new;
        Target target;
        try {
            target = factory.apply(notes);
        } catch (RuntimeException e) {
            return new Outcome(file, Kind.FAIL, "cannot set up the " + mode.name().toLowerCase()
                    + " target: " + e.getMessage(), notes);
        }
        try (target) {
            Path dir = file.toAbsolutePath().getParent();
            Runner.Verdict v = new Runner(script, target, dir, tolerance).run();
            String message = v.message();
            if (v.kind() == Kind.FAIL && v.line() > 0 && !message.startsWith("line ")) {
                message = "line " + v.line() + ": " + message;
            }
            return new Outcome(file, v.kind(), message, notes);
        }
    }

    /** One line per script (and the failure's detail lines), as the CLI prints it. */
    public static void print(Outcome o, PrintStream out) {
        String name = o.file().toString();
        switch (o.kind()) {
            case PASS -> out.println("pass         " + name);
            case UNSUPPORTED -> out.println("unsupported  " + name + ": " + o.message());
            case FAIL -> out.println("FAIL         " + name + ": " + o.message().replace("\n", "\n             "));
        }
        if (!o.notes().isEmpty() && o.kind() != Kind.UNSUPPORTED) {
            out.println("             note: settings the stack does not model: "
                    + String.join(", ", o.notes()));
        }
    }
}
