package io.tcpstack.trace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Draws a two-host {@link LadderModel} as text that fits 100 columns: time going down (ms from the
 * first row), one host per rail, an arrow per segment with the receiver's verdict beside its head,
 * and under it what does not fit on the arrow: options and SACK blocks, drops with their reason,
 * losses and, with {@code rules}, the rule behind the row.
 *
 * <pre>
 *         ms                   198.18.0.1 (client)                      198.18.0.2 (server)
 *      0.000                |-- S seq=0 win=64240 len=0 --------------------->| LISTEN
 *                           |   mss 1460, sackOK, TS val 1000 ecr 0, wscale 7 |
 * </pre>
 */
public final class TextLadder {
    /** Columns: time, the left note, the rails and what is between them, the right note. */
    private static final int TIME = 9;
    private static final int NOTE = 18;
    private static final int INNER = 51;
    /** Where the left rail is. */
    private static final int RAIL = TIME + 2 + NOTE;
    public static final int WIDTH = RAIL + 1 + INNER + 1 + NOTE;

    private final LadderModel model;
    private final boolean rules;
    private final List<String> out = new ArrayList<>();
    /** The rule each lane's last row showed: the same again is not repeated. */
    private final Map<Integer, String> lastRule = new HashMap<>();

    private TextLadder(LadderModel model, boolean rules) {
        this.model = model;
        this.rules = rules;
    }

    /**
     * The ladder as lines of at most {@link #WIDTH} characters. IllegalArgumentException unless
     * the model has exactly two hosts (pick one connection).
     */
    public static String render(LadderModel model, boolean rules) {
        if (model.lanes().size() != 2) {
            throw new IllegalArgumentException("a text ladder draws two hosts; this one has " + model.lanes().size()
                    + " (pick one connection, or draw SVG or HTML)");
        }
        TextLadder t = new TextLadder(model, rules);
        t.header();
        for (LadderModel.Row r : model.rows()) {
            t.row(r);
        }
        return String.join("\n", t.out) + "\n";
    }

    /** The hosts' names: the left one after the time column, the right one from its rail on. */
    private void header() {
        String head = String.format("%" + TIME + "s  %s", "ms", model.lanes().get(0).label());
        String right = model.lanes().get(1).label();
        int at = Math.min(Math.max(head.length() + 2, RAIL + INNER + 1), WIDTH - right.length());
        out.add(head + pad(at - head.length()) + right);
    }

    private String time(long nanos) {
        return String.format("%" + TIME + ".3f  ", (nanos - model.startNanos()) / 1e6);
    }

    private void row(LadderModel.Row r) {
        switch (r.kind) {
            case SEGMENT -> segment(r);
            case STATE -> local(r, r.text);
            case TIMER -> local(r, "timer: " + r.text);
            case NOTE -> local(r, "(" + r.text + ")");
        }
        if (!r.isSegment()) {
            ruleOf(r);
        }
    }

    /** The rule behind the row, unless the lane's previous row showed the same. */
    private void ruleOf(LadderModel.Row r) {
        if (rules && r.rule != null && !r.rule.equals(lastRule.get(r.lane))) {
            why(r.rule);
        }
        lastRule.put(r.lane, r.rule);
    }

    private void local(LadderModel.Row r, String text) {
        List<String> lines = wrap(text, INNER - 4);
        boolean right = r.lane == 1;
        int block = lines.stream().mapToInt(String::length).max().orElse(0); // a right lane's text as one block
        for (int i = 0; i < lines.size(); i++) {
            String inner = right ? pad(INNER - 2 - block) + lines.get(i) + pad(block - lines.get(i).length()) + "  "
                    : "  " + lines.get(i) + pad(INNER - 2 - lines.get(i).length());
            out.add((i == 0 ? time(r.nanos) : pad(TIME + 2)) + pad(NOTE) + "|" + inner + "|");
        }
    }

    private void segment(LadderModel.Row r) {
        boolean rightward = r.lane == 0;
        String label = r.label();
        String more = r.options();
        if (label.length() > INNER - 7) {
            int win = label.indexOf(" win=");
            more = label.substring(win + 1) + (more.isEmpty() ? "" : ", " + more);
            label = label.substring(0, win);
        }
        boolean lost = r.fate == LadderModel.Fate.LOST;
        String arrow;
        if (rightward) {
            String body = "-- " + label + " ";
            arrow = lost ? body + "-".repeat(Math.max(INNER - body.length() - 8, 1)) + "x" : body + "-".repeat(Math.max(
                    INNER - body.length() - 1, 1)) + ">";
        } else {
            String body = " " + label + " --";
            arrow = lost ? "x" + "-".repeat(Math.max(INNER - body.length() - 8, 1)) + body
                    : "<" + "-".repeat(Math.max(INNER - body.length() - 1, 1)) + body;
        }
        arrow = rightward ? arrow + pad(INNER - arrow.length()) : pad(INNER - arrow.length()) + arrow;
        String verdict = lost ? "lost" : r.verdict != null ? r.verdict : r.dropReason != null ? "DROP" : "";
        String left = rightward ? "" : verdict;
        String right = rightward ? verdict : "";
        out.add((time(r.nanos) + pad(NOTE - 1 - Math.min(left.length(), NOTE - 1)) + cut(left, NOTE - 1) + " |" + arrow
                + "| " + cut(right, NOTE - 1)).stripTrailing());
        ruleOf(r);
        if (!more.isEmpty()) {
            continuation(more);
        }
        if (lost) {
            continuation("x lost" + (r.lostBy != null ? ": " + r.lostBy : " on the way"));
        }
        if (r.dropReason != null) {
            continuation("x dropped by " + model.lanes().get(r.toLane).address() + ": " + r.dropReason);
            if (rules && r.dropRule != null) {
                why(r.dropRule);
            }
        }
        if (!r.inferred.isEmpty()) {
            continuation("(" + String.join(", ", r.inferred) + ")");
        }
    }

    /** The rule's name and where it comes from (the page and the SVG have its sentence). */
    private void why(String rule) {
        Rule.Explanation e = Rule.explain(rule);
        continuation("why: " + rule + (e == null ? "" : " (" + e.cite() + ")"));
    }

    /** Text under a row, from its left rail; what is too long for the rails runs past the right one. */
    private void continuation(String text) {
        for (String line : wrap(text, WIDTH - RAIL - 4)) {
            out.add(pad(RAIL) + "|   " + (line.length() < INNER - 3 ? line + pad(INNER - 3 - line.length()) + "|" : line));
        }
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word.length() > width ? word.substring(0, width) : word);
        }
        lines.add(line.toString());
        return lines;
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n);
    }

    private static String pad(int n) {
        return " ".repeat(Math.max(n, 0));
    }
}
