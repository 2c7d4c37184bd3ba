package io.tcpstack.examples.lessons;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.trace.HtmlLadder;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.trace.SvgLadder;
import io.tcpstack.trace.TextLadder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every lesson runs, deterministically, and draws exactly its golden text ladder
 * (src/test/resources/lessons/NAME.txt). When the stack's behaviour changes on purpose (what it
 * sends, the rules it names), rewrite the golden files and read the diff:
 * {@code mvn -pl stack,examples test -Dtest=LessonsTest -Dlessons.update=true}.
 */
class LessonsTest {
    private static final Path GOLDEN = Path.of("src/test/resources/lessons");
    private static final boolean UPDATE = Boolean.getBoolean("lessons.update");
    /** The lesson whose SVG the README shows. */
    private static final String README_LESSON = "handshake";
    /** The bound: a lesson takes under 2 s (CPU time, which a loaded machine does not inflate). */
    private static final long MAX_CPU_NANOS = 2_000_000_000L;

    static Stream<Lesson> lessons() {
        return Lessons.ALL.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lessons")
    void drawsItsGoldenLadder(Lesson lesson) throws IOException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu = threads.getCurrentThreadCpuTime();
        LadderModel model = lesson.run();
        String text = TextLadder.render(model, true);
        String html = HtmlLadder.render(model, lesson.story());
        cpu = threads.getCurrentThreadCpuTime() - cpu;
        System.out.printf("lesson %s: %d rows, %.0f ms CPU%n", lesson.name(), model.rows().size(), cpu / 1e6);
        assertThat(cpu).as("CPU time of lesson %s", lesson.name()).isLessThan(MAX_CPU_NANOS);
        assertThat(text.lines()).as("every line fits 100 columns").allMatch(l -> l.length() <= 100);
        Path out = Path.of("target/lessons");
        Files.createDirectories(out);
        Files.writeString(out.resolve(lesson.name() + ".html"), html);
        assertThat(html).contains("<svg").contains("id=\"steps\"").doesNotContain("<link", "src=", "@import", "url(http");
        Path golden = GOLDEN.resolve(lesson.name() + ".txt");
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(golden, text);
        }
        assertThat(golden).as("golden ladder of %s (-Dlessons.update=true writes it)", lesson.name()).exists();
        assertThat(text).as("ladder of lesson %s against %s", lesson.name(), golden).isEqualTo(Files.readString(golden));
        if (lesson.name().equals(README_LESSON)) {
            Path svg = GOLDEN.resolve(README_LESSON + ".svg");
            if (UPDATE) {
                Files.writeString(svg, SvgLadder.render(model));
            }
            assertThat(Files.readString(svg)).as("the README's picture, %s", svg).isEqualTo(SvgLadder.render(model));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lessons")
    void tellsItsStoryWithTheCommandThatRunsIt(Lesson lesson) {
        List<String> story = lesson.story();
        assertThat(story).isNotEmpty();
        assertThat(story.get(story.size() - 1)).startsWith("$ tcpstack lesson run " + lesson.name());
    }
}
