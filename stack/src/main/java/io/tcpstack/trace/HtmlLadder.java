package io.tcpstack.trace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link LadderModel} as one self-contained HTML page (inline style, script and SVG; no fonts,
 * scripts or anything else fetched): the ladder beside a panel that steps through it row by row
 * (arrow keys, j/k, space, Home/End, or the buttons). At each step the panel shows what happened,
 * the rule behind it (RFC section or Linux function, and a sentence), a drop's reason, and each
 * host's state, snd.una/snd.nxt/rcv.nxt, windows, cwnd/ssthresh and armed timers; for a host
 * that was not traced, what its packets show.
 */
public final class HtmlLadder {
    private static final String FROM_CAPTURE = "This ladder comes from a packet capture, so there is no stack-side"
            + " reasoning: nobody recorded why a segment was sent or what its receiver decided. Arrows are annotated"
            + " with what the packets alone show (retransmission, duplicate ACK, window probe, out of order, zero"
            + " window), as Wireshark's TCP analysis infers it.";

    private HtmlLadder() {
    }

    /**
     * The page. {@code narrative}: paragraphs shown above the ladder (a lesson's story), may be
     * empty; lines starting with "$ " are shown as commands.
     */
    public static String render(LadderModel model, List<String> narrative) {
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
                .append(SvgLadder.esc(model.title())).append("</title>\n<style>\n").append(STYLE).append("</style></head>\n<body>\n");
        h.append("<header><h1>").append(SvgLadder.esc(model.title())).append("</h1>\n");
        for (String p : narrative) {
            h.append(p.startsWith("$ ") ? "<pre>" + SvgLadder.esc(p) + "</pre>\n" : "<p>" + SvgLadder.esc(p) + "</p>\n");
        }
        h.append("<p class=\"source\">Drawn from ").append(SvgLadder.esc(model.source())).append(". ")
                .append(model.stackReasoning() ? "Rules and variables are what the stack recorded where it decided."
                        : SvgLadder.esc(FROM_CAPTURE))
                .append(model.absolute() ? " Sequence numbers are absolute." : " Sequence numbers are relative to each"
                        + " side's first (Wireshark's relative numbers): the SYN is 0.")
                .append("</p></header>\n");
        h.append("<main><div id=\"ladder\">\n").append(SvgLadder.render(model)).append("</div>\n");
        h.append("<aside id=\"panel\"><div id=\"controls\"><button id=\"first\" title=\"Home\">&#xab; first</button>"
                + "<button id=\"prev\" title=\"&#x2190; or k\">&#x25C0; back</button>"
                + "<button id=\"next\" title=\"&#x2192;, j or space\">next &#x25B6;</button>"
                + "<button id=\"last\" title=\"End\">last &#xbb;</button> <span id=\"step\"></span></div>\n"
                + "<div id=\"what\"></div><div id=\"rule\"></div><div id=\"lanes\"></div>\n"
                + "<p class=\"keys\">Keys: &#x2192; j space next, &#x2190; k back, Home, End.</p></aside></main>\n");
        h.append("<script type=\"application/json\" id=\"steps\">").append(steps(model).replace("</", "<\\/"))
                .append("</script>\n<script>\n").append(SCRIPT).append("</script>\n</body></html>\n");
        return h.toString();
    }

    private static String steps(LadderModel model) {
        List<LadderModel.Row> rows = model.rows();
        int lanes = model.lanes().size();
        Map<Integer, LadderModel.Row> lastVarsRow = new HashMap<>();
        Map<Integer, LadderModel.Row> lastSent = new HashMap<>();
        Json j = new Json();
        j.open('[');
        for (int i = 0; i < rows.size(); i++) {
            LadderModel.Row r = rows.get(i);
            j.open('{');
            j.field("t", String.format("%.3f ms", (r.nanos - model.startNanos()) / 1e6));
            j.field("what", what(model, r));
            Rule.Explanation e = Rule.explain(r.rule);
            if (e != null) {
                j.field("rule", e.name()).field("cite", e.cite()).field("why", e.why());
            }
            if (r.dropReason != null) {
                Rule.Explanation d = Rule.explain(r.dropRule);
                j.field("drop", "dropped by " + model.lanes().get(r.toLane).label() + ": " + r.dropReason);
                if (d != null) {
                    j.field("dropCite", d.cite()).field("dropWhy", d.why());
                }
            }
            List<String> notes = new ArrayList<>(r.inferred);
            if (r.isSegment() && !r.options().isEmpty()) {
                notes.add(0, "options: " + r.options());
            }
            if (r.fate == LadderModel.Fate.LOST) {
                notes.add("lost on the way" + (r.lostBy != null ? ": " + r.lostBy : ""));
            }
            if (r.isSegment() && r.windowScaled()) {
                notes.add("win is the scaled window in bytes (the header field times 2^wscale)");
            }
            j.strings("notes", notes);
            if (r.isSegment()) {
                lastSent.put(r.lane, r);
            }
            j.key("lanes").open('[');
            for (int l = 0; l < lanes; l++) {
                if (r.vars.containsKey(l)) {
                    lastVarsRow.put(l, r);
                }
                j.open('{');
                LadderModel.Lane lane = model.lanes().get(l);
                j.field("label", lane.label());
                LadderModel.Row at = lastVarsRow.get(l);
                if (lane.traced() && at != null) {
                    j.key("vars").open('[');
                    model.show(at, l, at.vars.get(l)).forEach((k, v) -> j.open('[').value(k).value(v).close(']'));
                    j.close(']');
                } else if (lane.traced()) {
                    j.field("note", "no variables yet");
                } else {
                    LadderModel.Row s = lastSent.get(l);
                    j.field("note", "not traced; its last segment: " + (s == null ? "none yet" : s.label()));
                }
                j.close('}');
            }
            j.close(']');
            j.close('}');
        }
        j.close(']');
        return j.toString();
    }

    private static String what(LadderModel model, LadderModel.Row r) {
        String lane = model.lanes().get(r.lane).label();
        return switch (r.kind) {
            case SEGMENT -> r.label() + ": " + lane + " \u2192 " + model.lanes().get(r.toLane).label()
                    + (r.senderState != null ? " (sent in " + r.senderState + ")" : "")
                    + (r.verdict != null ? "; processed in " + r.verdict : "")
                    + (r.estimated ? "; seen here at this time; the other end's time is estimated (half the handshake's"
                            + " round trip)" : r.arriveNanos > r.nanos ? String.format("; arrived after %.3f ms",
                            (r.arriveNanos - r.nanos) / 1e6) : "");
            case STATE -> lane + ": " + r.text;
            case TIMER -> lane + ": timer " + r.text;
            case NOTE -> lane + ": " + r.text;
        };
    }

    /** Just enough JSON writing for the steps: objects, arrays, strings. */
    private static final class Json {
        private final StringBuilder sb = new StringBuilder();
        private boolean first = true;

        Json open(char c) {
            comma();
            sb.append(c);
            first = true;
            return this;
        }

        Json close(char c) {
            sb.append(c);
            first = false;
            return this;
        }

        Json key(String k) {
            comma();
            quote(k);
            sb.append(':');
            first = true;
            return this;
        }

        Json value(String v) {
            comma();
            quote(v);
            return this;
        }

        Json field(String k, String v) {
            return key(k).value(v);
        }

        Json strings(String k, List<String> values) {
            key(k).open('[');
            values.forEach(this::value);
            return close(']');
        }

        private void comma() {
            if (!first) {
                sb.append(',');
            }
            first = false;
        }

        private void quote(String s) {
            sb.append('"');
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }

    private static final String STYLE = """
            body { font-family: system-ui, sans-serif; margin: 0 1em; color: #222; }
            header { max-width: 70em; }
            h1 { font-size: 1.3em; }
            pre { background: #f4f4f4; padding: .3em .6em; }
            .source { color: #555; font-size: .9em; }
            main { display: flex; gap: 1em; align-items: flex-start; }
            #ladder { flex: 1 1 auto; overflow: auto; max-height: 88vh; border: 1px solid #ddd; }
            #panel { flex: 0 0 26em; position: sticky; top: .5em; font-size: .9em; }
            #panel button { font-size: 1em; }
            #what { font-family: monospace; margin: .6em 0; padding: .4em; background: #fffbe6; }
            #rule .cite { font-weight: bold; }
            #rule .drop { color: #c0392b; }
            #lanes table { border-collapse: collapse; margin: .4em 0; width: 100%; }
            #lanes th { text-align: left; background: #eef; padding: .2em .4em; }
            #lanes td { font-family: monospace; padding: .1em .4em; border-bottom: 1px solid #eee; }
            .keys { color: #777; }
            svg .row.future { opacity: 0.15; }
            svg .row.active text { font-weight: bold; }
            svg .row.active line { stroke-width: 3; }
            """;

    private static final String SCRIPT = """
            (function () {
              var steps = JSON.parse(document.getElementById('steps').textContent);
              var at = 0;
              function esc(s) { var d = document.createElement('div'); d.textContent = s; return d.innerHTML; }
              function show(i) {
                at = Math.max(0, Math.min(steps.length - 1, i));
                var s = steps[at];
                document.getElementById('step').textContent = 'step ' + (at + 1) + ' of ' + steps.length + ', ' + s.t;
                document.getElementById('what').textContent = s.what;
                var r = '';
                if (s.rule) { r += '<p><span class="cite">' + esc(s.cite) + '</span> (' + esc(s.rule) + '): ' + esc(s.why) + '</p>'; }
                if (s.drop) { r += '<p class="drop"><b>' + esc(s.drop) + '</b>' + (s.dropCite ? ' (' + esc(s.dropCite) + '): ' + esc(s.dropWhy) : '') + '</p>'; }
                s.notes.forEach(function (n) { r += '<p>' + esc(n) + '</p>'; });
                document.getElementById('rule').innerHTML = r;
                var l = '';
                s.lanes.forEach(function (lane) {
                  l += '<table><tr><th colspan="2">' + esc(lane.label) + '</th></tr>';
                  if (lane.vars) { lane.vars.forEach(function (kv) { l += '<tr><td>' + esc(kv[0]) + '</td><td>' + esc(kv[1]) + '</td></tr>'; }); }
                  else { l += '<tr><td colspan="2">' + esc(lane.note) + '</td></tr>'; }
                  l += '</table>';
                });
                document.getElementById('lanes').innerHTML = l;
                for (var k = 0; k < steps.length; k++) {
                  var g = document.getElementById('r' + k);
                  if (g) { g.classList.toggle('active', k === at); g.classList.toggle('future', k > at); }
                }
                var cur = document.getElementById('r' + at);
                if (cur && cur.scrollIntoView) { cur.scrollIntoView({block: 'nearest'}); }
              }
              document.addEventListener('keydown', function (e) {
                var k = e.key;
                if (k === 'ArrowRight' || k === 'ArrowDown' || k === 'j' || k === ' ') { show(at + 1); e.preventDefault(); }
                else if (k === 'ArrowLeft' || k === 'ArrowUp' || k === 'k') { show(at - 1); e.preventDefault(); }
                else if (k === 'Home') { show(0); e.preventDefault(); }
                else if (k === 'End') { show(steps.length - 1); e.preventDefault(); }
              });
              document.getElementById('first').onclick = function () { show(0); };
              document.getElementById('prev').onclick = function () { show(at - 1); };
              document.getElementById('next').onclick = function () { show(at + 1); };
              document.getElementById('last').onclick = function () { show(steps.length - 1); };
              if (steps.length) { show(0); }
            })();
            """;
}
