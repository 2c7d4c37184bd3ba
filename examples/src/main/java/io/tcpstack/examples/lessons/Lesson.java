package io.tcpstack.examples.lessons;

import io.tcpstack.trace.LadderModel;
import java.util.List;

/**
 * A runnable lesson: a deterministic scenario on virtual time (two stacks on a simulated
 * network), a short story that says what to look for, and the ladder of what happened.
 */
public interface Lesson {
    /** What {@code tcpstack lesson run NAME} takes. */
    String name();

    String title();

    /** Paragraphs for the page and the terminal: what happens and what to look at. */
    List<String> story();

    /** Runs the scenario (the same every time) and returns its ladder. */
    LadderModel run();
}
