package io.tcpstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tcpstack.examples.lessons.Lesson;
import io.tcpstack.examples.lessons.Lessons;
import io.tcpstack.trace.HtmlLadder;
import io.tcpstack.trace.LadderModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lesson's page in a real browser: headless Chromium (in a namespace of its own, with only
 * loopback: the page is a local file and fetches nothing) renders it, the arrow key steps it, and
 * the state it shows changes. The screenshot is kept as a test artefact:
 * tun-driver/target/it-artefacts/lesson-handshake.png.
 */
@Tag("netns")
class LessonPageIT {
    private static final Path ARTEFACTS = Path.of("target/it-artefacts");

    @TempDir
    Path dir;

    @Test
    void theHandshakePageRendersAndSteppingChangesWhatItShows() throws Exception {
        Netns.requireRoot();
        Lesson lesson = Lessons.find("handshake").orElseThrow();
        LadderModel model = lesson.run();
        Files.createDirectories(ARTEFACTS);
        Path page = ARTEFACTS.resolve("lesson-handshake.html").toAbsolutePath();
        Files.writeString(page, HtmlLadder.render(model, lesson.story()));
        try (Netns ns = Netns.createEmpty(); HeadlessChromium browser = HeadlessChromium.open(ns, page, dir, 1400, 1000)) {
            DaemonProcess.await(60, "the page to load", () -> {
                try {
                    return "complete".equals(browser.eval("document.readyState"))
                            && String.valueOf(browser.eval("location.href")).startsWith("file:");
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(browser.eval("document.title")).isEqualTo(lesson.title());
            assertThat(((Number) browser.eval("document.querySelectorAll('svg g.row').length")).intValue())
                    .as("one drawing per row of the ladder").isEqualTo(model.rows().size());
            assertThat((String) browser.eval("document.getElementById('step').textContent"))
                    .startsWith("step 1 of " + model.rows().size());
            String lanesBefore = (String) browser.eval("document.getElementById('lanes').innerText");
            assertThat(lanesBefore).contains("client 198.18.0.1").contains("SYN-SENT");

            for (int i = 0; i < 9; i++) {
                browser.press("ArrowRight", 39);
            }
            String step = (String) browser.eval("document.getElementById('step').textContent");
            String lanesAfter = (String) browser.eval("document.getElementById('lanes').innerText");
            String rule = (String) browser.eval("document.getElementById('rule').innerText");
            System.out.println("after 9 steps: " + step + "\n" + lanesAfter + "\n" + rule);
            assertThat(step).startsWith("step 10 of ");
            assertThat(lanesAfter).as("the state shown after stepping").isNotEqualTo(lanesBefore).contains("ESTAB")
                    .contains("snd.una").contains("cwnd");
            assertThat(rule).as("the rule behind the row").containsPattern("RFC \\d+");
            assertThat(browser.eval("document.querySelector('g.row.active').id")).isEqualTo("r9");
            browser.press("ArrowLeft", 37);
            assertThat((String) browser.eval("document.getElementById('step').textContent")).startsWith("step 9 of ");

            byte[] png = browser.screenshot();
            assertThat(png).hasSizeGreaterThan(10_000);
            Files.write(ARTEFACTS.resolve("lesson-handshake.png"), png);
            System.out.println("screenshot: " + ARTEFACTS.resolve("lesson-handshake.png").toAbsolutePath());
        }
    }
}
