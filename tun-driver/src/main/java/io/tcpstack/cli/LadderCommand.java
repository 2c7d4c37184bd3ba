package io.tcpstack.cli;

import io.tcpstack.wire.EndpointFilter;
import io.tcpstack.link.PcapReader;
import io.tcpstack.trace.LadderModel;
import io.tcpstack.trace.PcapLadder;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.TraceLadder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tcpstack ladder FILE [ENDPOINT...]}: the ladder of a capture (pcap or pcapng: the
 * daemon's, or tcpdump's of any two hosts) or of a trace the daemon streamed ({@code ctl trace
 * -v > FILE}, {@code ctl trace --ladder --save FILE}).
 */
@Command(name = "ladder", mixinStandardHelpOptions = true,
        description = {"Draw the ladder of the connections in a capture (pcap, pcapng) or in a saved trace.",
                "From a capture, sequence numbers are relative as Wireshark shows them and arrows carry what the"
                        + " packets alone show (retransmission, dup ACK, window probe...); from a trace, the stack's"
                        + " verdicts, drop reasons, rules and variables."})
final class LadderCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "a pcap or pcapng file, or a trace saved by ctl trace -v")
    Path file;

    @Parameters(index = "1..*", paramLabel = "ENDPOINT", description = "only the connections these match (ADDR:PORT,"
            + " ADDR or :PORT; two name one connection)")
    List<String> endpoints = List.of();

    @Option(names = "--absolute", description = "absolute sequence numbers (default: relative to each side's first)")
    boolean absolute;

    @Mixin
    LadderFiles files;

    @Override
    public Integer call() throws IOException {
        LadderModel model = isCapture(file) ? fromCapture() : fromTrace();
        if (model.rows().isEmpty()) {
            throw new IllegalArgumentException(file + ": no TCP segments" + (endpoints.isEmpty() ? "" : " of " + endpoints));
        }
        files.write(model, List.of(), spec.commandLine().getOut());
        return 0;
    }

    private static boolean isCapture(Path file) throws IOException {
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 4) < 4) {
                return false;
            }
        }
        int magic = ((head[0] & 0xff) << 24) | ((head[1] & 0xff) << 16) | ((head[2] & 0xff) << 8) | (head[3] & 0xff);
        return magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d || magic == 0x4d3cb2a1
                || magic == 0x0a0d0d0a;
    }

    private LadderModel fromCapture() throws IOException {
        return PcapLadder.build(file.getFileName().toString(), PcapReader.read(file), endpoints, absolute);
    }

    private LadderModel fromTrace() throws IOException {
        EndpointFilter filter = EndpointFilter.parse(endpoints);
        List<TraceEvent> events = new ArrayList<>();
        int lineNumber = 0;
        for (String line : Files.readAllLines(file)) {
            lineNumber++;
            if (line.isBlank() || line.startsWith("#") || line.startsWith("stream ") || line.startsWith("end ")) {
                continue;
            }
            TraceEvent e;
            try {
                e = TraceEvent.parse(line);
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException(file + ":" + lineNumber + ": neither a capture nor a trace line: "
                        + bad.getMessage());
            }
            if (filter.matchesTraceConnection(e.connection())) {
                events.add(e);
            }
        }
        return TraceLadder.fromTrace(file.getFileName().toString(), events, absolute);
    }
}
