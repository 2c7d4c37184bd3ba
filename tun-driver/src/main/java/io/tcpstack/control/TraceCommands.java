package io.tcpstack.control;

import io.tcpstack.daemon.TraceHub;
import io.tcpstack.trace.TraceEvent;
import io.tcpstack.wire.EndpointFilter;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code trace start [-v] [ENDPOINT [ENDPOINT]]} and {@code trace stop}: a stream of the stack's
 * trace events ({@link TraceStream}) on the control connection until it is ended, as {@code perf
 * trace} or the tcp tracepoints stream them on Linux.
 */
final class TraceCommands {
    /** Logs as the control commands. */
    private static final Logger log = LoggerFactory.getLogger(ControlCommands.class);
    /** How often a trace stream checks whether it was ended while no event came. */
    private static final long TRACE_POLL_MS = 200;

    private final TraceHub traces;

    TraceCommands(TraceHub traces) {
        this.traces = traces;
    }

    /** {@code trace start|stop}; returns false when a stream ran on the connection (it is done). */
    boolean trace(ControlConnection c, List<String> args) throws IOException {
        String what = args.isEmpty() ? "" : args.get(0);
        switch (what) {
            case "start" -> {
                List<String> rest = args.subList(1, args.size());
                boolean verbose = !rest.isEmpty() && rest.get(0).equals("-v");
                List<String> endpoints = verbose ? rest.subList(1, rest.size()) : rest;
                ControlCommands.rejectOptions(endpoints, "trace start takes -v");
                streamTrace(c, new TraceStream(EndpointFilter.parse(endpoints), verbose));
                return false;
            }
            case "stop" -> {
                if (args.size() > 1) {
                    throw new IllegalArgumentException("trace stop takes no arguments");
                }
                int n = endTraces("stopped by trace stop (" + c.peer() + ")");
                c.ok(List.of("stopped " + n + " trace stream(s)"));
                return true;
            }
            default -> throw new IllegalArgumentException("trace takes start [-v] [ENDPOINT [ENDPOINT]] or stop");
        }
    }

    /** Ends every trace stream with {@code reason}; returns how many. */
    int endTraces(String reason) {
        int n = 0;
        for (Consumer<TraceEvent> l : traces.listeners()) {
            if (l instanceof TraceStream s) {
                s.end(reason);
                n++;
            }
        }
        return n;
    }

    private void streamTrace(ControlConnection c, TraceStream stream) throws IOException {
        traces.add(stream);
        log.info("control: {} started a trace of {}", c.peer(), stream.filter());
        try {
            c.line("stream " + stream.filter());
            while (stream.endReason() == null) {
                TraceEvent e = stream.poll(TRACE_POLL_MS);
                long dropped = stream.takeDropped();
                if (dropped > 0) {
                    c.line("# " + dropped + " events dropped: the client reads too slowly");
                }
                if (e != null) {
                    c.line(stream.line(e));
                } else if (c.clientGone()) {
                    return; // the client left while nothing happened: stop tracing for it
                }
            }
            c.line("end " + stream.endReason());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            traces.remove(stream);
        }
    }
}
