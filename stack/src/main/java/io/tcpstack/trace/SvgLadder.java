package io.tcpstack.trace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws a {@link LadderModel} as SVG: time going down, one lane per host, each segment an arrow
 * that slopes with its delay (send time at its tail, arrival at its head), the hosts' states as
 * coloured bands along their lanes, and the armed timers as spans beside them, from when they
 * were set to when they fired or were cancelled. Time is compressed where nothing happens (a
 * break mark says how long), so a 60 s TIME-WAIT does not take a mile of paper.
 *
 * <p>Every row's drawing is a group {@code <g class="row" id="rN">}, for the step-through page.
 */
public final class SvgLadder {
    private static final int MARGIN_LEFT = 90;
    private static final int LANE_GAP = 440;
    private static final int TOP = 64;
    private static final int ROW_GAP = 18;
    private static final int MAX_GAP = 110;
    /** A quiet stretch longer than this gets a break mark with its length. */
    private static final long BREAK_NANOS = 2_000_000_000L;
    private static final Map<String, String> STATE_COLOURS = Map.ofEntries(
            Map.entry("LISTEN", "#d9d9d9"), Map.entry("SYN-SENT", "#fdd49e"), Map.entry("SYN-RECV", "#fdd49e"),
            Map.entry("ESTAB", "#a1d99b"), Map.entry("FIN-WAIT-1", "#c6dbef"), Map.entry("FIN-WAIT-2", "#9ecae1"),
            Map.entry("CLOSING", "#bcbddc"), Map.entry("TIME-WAIT", "#6baed6"), Map.entry("CLOSE-WAIT", "#fcbba1"),
            Map.entry("LAST-ACK", "#fc9272"), Map.entry("CLOSED", "#f0f0f0"));

    private final LadderModel model;
    private final StringBuilder svg = new StringBuilder();
    /** y of each time point (row times and arrival times), in time order. */
    private final TreeMap<Long, Double> timeY = new TreeMap<>();
    private final double[] rowY;
    private final double[] arriveY;
    private final double[] departY;
    private double bottom;

    private SvgLadder(LadderModel model) {
        this.model = model;
        this.rowY = new double[model.rows().size()];
        this.arriveY = new double[model.rows().size()];
        this.departY = new double[model.rows().size()];
    }

    public static String render(LadderModel model) {
        SvgLadder s = new SvgLadder(model);
        s.layout();
        s.draw();
        return s.svg.toString();
    }

    private static double laneX(int lane) {
        return MARGIN_LEFT + 110 + lane * (double) LANE_GAP;
    }

    /** One slot per row, per known arrival and per estimated departure, in time order; each below the last. */
    private void layout() {
        record Slot(long nanos, long order, int row, int end) {
        }
        List<Slot> slots = new ArrayList<>();
        List<LadderModel.Row> rows = model.rows();
        for (int i = 0; i < rows.size(); i++) {
            LadderModel.Row r = rows.get(i);
            slots.add(new Slot(r.nanos, r.order, i, 0));
            if (r.isSegment() && r.arriveNanos > r.nanos) {
                slots.add(new Slot(r.arriveNanos, r.arriveOrder >= 0 ? r.arriveOrder : arrivalOrder(rows, r.arriveNanos, i),
                        i, 1));
            }
            if (r.isSegment() && r.departNanos < r.nanos) {
                slots.add(new Slot(r.departNanos, r.order - 1, i, -1));
            }
        }
        slots.sort((a, b) -> a.nanos() != b.nanos() ? Long.compare(a.nanos(), b.nanos()) : Long.compare(a.order(), b.order()));
        double y = TOP;
        long last = slots.isEmpty() ? 0 : slots.get(0).nanos();
        List<long[]> breaks = new ArrayList<>();
        for (Slot s : slots) {
            long gap = s.nanos() - last;
            y += gap <= 0 ? ROW_GAP : ROW_GAP + Math.min(MAX_GAP, 24 * log2(1 + gap / 1e6));
            if (gap > BREAK_NANOS) {
                breaks.add(new long[] {last, s.nanos(), Math.round(y - ROW_GAP)});
            }
            last = s.nanos();
            (s.end() > 0 ? arriveY : s.end() < 0 ? departY : rowY)[s.row()] = y;
            timeY.putIfAbsent(s.nanos(), y);
        }
        for (int i = 0; i < rows.size(); i++) {
            LadderModel.Row r = rows.get(i);
            if (!(r.isSegment() && r.arriveNanos > r.nanos)) {
                arriveY[i] = rowY[i];
            }
            if (!(r.isSegment() && r.departNanos < r.nanos)) {
                departY[i] = rowY[i];
            }
        }
        bottom = y + 40;
        this.breaks = breaks;
    }

    private List<long[]> breaks = List.of();

    /** An arrival nobody traced goes before the rows of its instant that come after its own row. */
    private static long arrivalOrder(List<LadderModel.Row> rows, long at, int own) {
        for (int j = own + 1; j < rows.size(); j++) {
            if (rows.get(j).nanos >= at) {
                return rows.get(j).order - 1;
            }
        }
        return Long.MAX_VALUE;
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /** y of any time, between the slots around it. */
    private double yAt(long nanos) {
        Map.Entry<Long, Double> lo = timeY.floorEntry(nanos);
        Map.Entry<Long, Double> hi = timeY.ceilingEntry(nanos);
        if (lo == null) {
            return hi == null ? TOP : hi.getValue();
        }
        if (hi == null || hi.getKey().equals(lo.getKey())) {
            return lo.getValue();
        }
        double f = (nanos - lo.getKey()) / (double) (hi.getKey() - lo.getKey());
        return lo.getValue() + f * (hi.getValue() - lo.getValue());
    }

    private void draw() {
        int lanes = model.lanes().size();
        double width = laneX(lanes - 1) + 300;
        svg.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\" width=\"%.0f\" height=\"%.0f\""
                + " viewBox=\"0 0 %.0f %.0f\" font-family=\"monospace\" font-size=\"11\">%n", width, bottom, width, bottom));
        svg.append("<title>").append(esc(model.title())).append("</title>\n");
        svg.append("<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\""
                + " orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"context-stroke\"/></marker></defs>\n");
        for (int l = 0; l < lanes; l++) {
            LadderModel.Lane lane = model.lanes().get(l);
            svg.append(String.format("<text x=\"%.0f\" y=\"24\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"13\">%s</text>%n",
                    laneX(l), esc(lane.label())));
            svg.append(String.format("<text x=\"%.0f\" y=\"40\" text-anchor=\"middle\" fill=\"#666\">%s</text>%n", laneX(l),
                    lane.traced() ? "traced: verdicts, rules, variables" : "not traced: what the packets show"));
            bands(l);
            timers(l);
            svg.append(String.format("<line x1=\"%.0f\" y1=\"50\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#333\"/>%n", laneX(l), laneX(l), bottom - 10));
        }
        for (long[] b : breaks) {
            svg.append(String.format("<text x=\"%d\" y=\"%d\" fill=\"#999\">≈ %s</text>%n", 4, b[2],
                    LadderModel.formatMs((b[1] - b[0]) / 1e6)));
        }
        String lastTime = "";
        List<LadderModel.Row> rows = model.rows();
        for (int i = 0; i < rows.size(); i++) {
            LadderModel.Row r = rows.get(i);
            String t = String.format("%.3f", (r.nanos - model.startNanos()) / 1e6);
            svg.append("<g class=\"row\" id=\"r").append(i).append("\">");
            if (!t.equals(lastTime)) {
                svg.append(String.format("<text x=\"%d\" y=\"%.1f\" fill=\"#888\" text-anchor=\"end\">%s ms</text>", MARGIN_LEFT - 4,
                        rowY[i] + 4, t));
                lastTime = t;
            }
            if (r.isSegment()) {
                arrow(i, r);
            } else {
                local(i, r);
            }
            svg.append("</g>\n");
        }
        svg.append("</svg>\n");
    }

    private void bands(int lane) {
        String[] states = model.statesOf(lane);
        List<LadderModel.Row> rows = model.rows();
        String current = null;
        double from = 0;
        for (int i = 0; i <= rows.size(); i++) {
            String s = i < rows.size() ? states[i] : null;
            double y = i < rows.size() ? rowY[i] : bottom - 10;
            if (i == rows.size() || (s != null && !s.equals(current))) {
                if (current != null) {
                    band(lane, current, from, y);
                }
                current = s;
                from = y;
            }
        }
    }

    private void band(int lane, String state, double from, double to) {
        String colour = STATE_COLOURS.getOrDefault(state, "#eeeeee");
        double x = laneX(lane);
        svg.append(String.format("<rect class=\"band\" x=\"%.0f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>%n",
                x - 6, from, Math.max(to - from, 1), colour, esc(state)));
        boolean left = lane == 0;
        svg.append(String.format("<text x=\"%.0f\" y=\"%.1f\" fill=\"#555\" font-size=\"10\" text-anchor=\"%s\">%s</text>%n",
                left ? x - 10 : x + 10, from + 10, left ? "end" : "start", esc(state)));
    }

    /** Timer spans from the lane's variables: set at one row, gone (fired or cancelled) at a later one. */
    private void timers(int lane) {
        Map<String, long[]> open = new LinkedHashMap<>();
        Map<String, Integer> column = new HashMap<>();
        List<LadderModel.Row> rows = model.rows();
        long end = rows.isEmpty() ? 0 : rows.get(rows.size() - 1).endNanos();
        for (LadderModel.Row r : rows) {
            TraceEvent.Vars v = r.vars.get(lane);
            if (v == null) {
                continue;
            }
            long now = r.isSegment() && r.toLane == lane && r.arriveNanos >= 0 ? r.arriveNanos : r.nanos;
            Map<String, Double> armed = v.timerMap();
            for (String name : List.copyOf(open.keySet())) {
                long[] span = open.get(name);
                Double left = armed.get(name);
                if (left == null || Math.abs(now + (long) (left * 1e6) - span[1]) > 10_000) {
                    span(lane, name, span[0], Math.min(span[1], now), span[1] <= now, column);
                    open.remove(name);
                }
            }
            armed.forEach((name, left) -> open.computeIfAbsent(name, n -> new long[] {now, now + (long) (left * 1e6)}));
        }
        open.forEach((name, span) -> span(lane, name, span[0], Math.min(span[1], Math.max(end, span[0])), span[1] <= end, column));
    }

    private void span(int lane, String name, long from, long to, boolean fired, Map<String, Integer> column) {
        int c = column.computeIfAbsent(name, n -> column.size());
        double x = laneX(lane) + (lane == 0 ? -20 - 9 * c : 20 + 9 * c);
        double y1 = yAt(from);
        double y2 = Math.max(yAt(to), y1 + 3);
        String colour = switch (name) {
            case "rto" -> "#d62728";
            case "persist" -> "#9467bd";
            case "delack" -> "#2ca02c";
            case "keepalive" -> "#8c564b";
            default -> "#1f77b4";
        };
        svg.append(String.format("<g class=\"timer\"><title>%s timer %s</title><line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\""
                        + " stroke=\"%s\" stroke-width=\"3\" stroke-linecap=\"round\" opacity=\"0.6\"/>", esc(name),
                fired ? "fired after " + LadderModel.formatMs((to - from) / 1e6) : "armed", x, y1, x, y2, colour));
        if (fired) {
            svg.append(String.format("<circle cx=\"%.0f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y2, colour));
        }
        svg.append(String.format("<text x=\"%.0f\" y=\"%.1f\" fill=\"%s\" font-size=\"9\" text-anchor=\"%s\">%s</text></g>%n",
                lane == 0 ? x - 4 : x + 4, y1 + 8, colour, lane == 0 ? "end" : "start", esc(name)));
    }

    private void arrow(int i, LadderModel.Row r) {
        double x1 = laneX(r.lane);
        double x2 = laneX(r.toLane);
        double y1 = departY[i];
        double y2 = arriveY[i];
        boolean lost = r.fate == LadderModel.Fate.LOST;
        boolean dropped = r.dropReason != null;
        String colour = lost || dropped ? "#c0392b" : r.inferred.isEmpty() ? "#1f3b73" : "#b9770e";
        if (lost) {
            x2 = x1 + (x2 - x1) * 0.6;
            y2 = y1 + (y2 - y1) * 0.6;
            svg.append(String.format("<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"5,3\"/>",
                    x1, y1, x2, y2, colour));
            cross(x2, y2, colour);
        } else {
            svg.append(String.format("<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\""
                    + "%s marker-end=\"url(#head)\"/>", x1, y1, x2, y2, colour, r.estimated ? " stroke-dasharray=\"6,2\"" : ""));
            if (dropped) {
                cross(x2 + (x1 < x2 ? -14 : 14), y2, colour);
            }
        }
        double mx = (x1 + x2) / 2;
        double my = (y1 + y2) / 2;
        double angle = Math.toDegrees(Math.atan2(y2 - y1, x2 - x1));
        if (angle > 90 || angle < -90) {
            angle += 180;
        }
        svg.append(String.format("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\" transform=\"rotate(%.1f %.0f %.1f)\">%s</text>",
                mx, my - 4, colour, angle, mx, my, esc(r.label())));
        String under = r.options();
        if (lost) {
            under = "lost" + (r.lostBy != null ? ": " + r.lostBy : "");
        } else if (dropped) {
            under = "dropped: " + r.dropReason;
        } else if (!r.inferred.isEmpty()) {
            under = String.join(", ", r.inferred);
        }
        if (!under.isEmpty()) {
            svg.append(String.format("<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#777\" font-size=\"9\" transform=\"rotate(%.1f %.0f %.1f)\">%s</text>",
                    mx, my + 9, angle, mx, my, esc(under)));
        }
    }

    private void cross(double x, double y, String colour) {
        svg.append(String.format("<path d=\"M%.0f,%.1f l8,8 m0,-8 l-8,8\" stroke=\"%s\" stroke-width=\"2\"/>", x - 4, y - 4, colour));
    }

    private void local(int i, LadderModel.Row r) {
        double x = laneX(r.lane);
        boolean left = r.lane == 0 && model.lanes().size() > 1;
        String text = switch (r.kind) {
            case STATE -> r.text;
            case TIMER -> "⏱ " + r.text;
            default -> r.text;
        };
        String colour = r.kind == LadderModel.Kind.STATE ? "#000" : r.kind == LadderModel.Kind.TIMER ? "#d62728" : "#555";
        svg.append(String.format("<circle cx=\"%.0f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, rowY[i], colour));
        svg.append(String.format("<text x=\"%.0f\" y=\"%.1f\" fill=\"%s\" text-anchor=\"%s\"%s>%s</text>",
                left ? x + 50 : x - 50, rowY[i] + 4, colour, left ? "start" : "end",
                r.kind == LadderModel.Kind.NOTE ? " font-style=\"italic\"" : "", esc(text)));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
