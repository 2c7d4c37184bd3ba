package io.tcpstack.cli;

import io.tcpstack.examples.lessons.Lesson;
import io.tcpstack.examples.lessons.Lessons;
import io.tcpstack.trace.LadderModel;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tcpstack lesson list | run NAME}: TCP's rules, one scenario each, on virtual time (no root, no device). */
@Command(name = "lesson", mixinStandardHelpOptions = true,
        description = {"Runnable lessons: each a deterministic scenario of two stacks on a simulated network, in"
                + " virtual time (instant, the same every run), with a story and its ladder.",
                "Start with: tcpstack lesson run handshake --html /tmp/h.html"},
        subcommands = {LessonCommand.ListLessons.class, LessonCommand.Run.class})
final class LessonCommand {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The lessons, in the order of a course.")
    static final class ListLessons implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            for (Lesson l : Lessons.ALL) {
                out.printf("%-14s %s%n", l.name(), l.title());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run a lesson: its story, then its ladder (text; --html for the step-through page).")
    static final class Run implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "a lesson (tcpstack lesson list)")
        String name;

        @Mixin
        LadderFiles files;

        @Override
        public Integer call() throws Exception {
            Lesson lesson = Lessons.find(name).orElseThrow(() -> new IllegalArgumentException("no lesson '" + name
                    + "' (tcpstack lesson list shows them)"));
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            LadderModel model = lesson.run();
            out.println(lesson.title());
            out.println();
            for (String p : lesson.story()) {
                out.println(p.startsWith("$ ") ? "    " + p : p);
                out.println();
            }
            files.write(model, lesson.story(), out);
            out.printf("(%d rows, %.3f s of virtual time, ran in %d ms)%n", model.rows().size(),
                    model.rows().isEmpty() ? 0 : (model.rows().get(model.rows().size() - 1).endNanos()
                            - model.startNanos()) / 1e9, (System.nanoTime() - t0) / 1_000_000);
            out.flush();
            return 0;
        }
    }
}
