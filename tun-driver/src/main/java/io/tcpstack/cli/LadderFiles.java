package io.tcpstack.cli;

import io.tcpstack.trace.HtmlLadder;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.trace.SvgLadder;
import io.tcpstack.trace.TextLadder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The outputs every ladder-drawing command offers: text on stdout, an SVG file, a step-through page. */
final class LadderFiles {
    @Option(names = "--html", paramLabel = "FILE", description = "write a self-contained page that steps through the"
            + " ladder (no network access: one file, open it in any browser)")
    Path html;

    @Option(names = "--svg", paramLabel = "FILE", description = "write the ladder as SVG: time down, one lane per host,"
            + " arrows that slope with the delay, state bands, timer spans")
    Path svg;

    @Option(names = "--rules", description = "under each row of the text ladder, the rule behind it (RFC section or"
            + " Linux function)")
    boolean rules;

    @Option(names = "--no-text", description = "do not print the text ladder")
    boolean noText;

    /** Prints the text ladder (two hosts only) and writes the files asked for. */
    void write(LadderModel model, List<String> narrative, PrintWriter out) throws IOException {
        if (!noText) {
            if (model.lanes().size() == 2) {
                out.print(TextLadder.render(model, rules));
            } else {
                out.println("(" + model.lanes().size() + " hosts: a text ladder draws two; name one connection, or"
                        + " see --html and --svg)");
            }
        }
        if (svg != null) {
            Files.writeString(svg, SvgLadder.render(model));
            out.println("wrote " + svg);
        }
        if (html != null) {
            Files.writeString(html, HtmlLadder.render(model, narrative));
            out.println("wrote " + html + " (open it in a browser; keys: right/left arrow, Home, End)");
        }
        out.flush();
    }
}
