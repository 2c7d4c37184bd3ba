package io.tcpstack.daemon;

import io.tcpstack.trace.TraceEvent;
import io.tcpstack.trace.Tracer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Shares the stack's one {@link Tracer} listener among several (the connection log, each {@code
 * ctl trace} client). The tracer is on only while someone listens, so an untraced stack pays
 * nothing. Listeners must be quick and must not block: they run on the stack's threads.
 */
public final class TraceHub {
    private final Tracer tracer;
    private final List<Consumer<TraceEvent>> listeners = new CopyOnWriteArrayList<>();

    public TraceHub(Tracer tracer) {
        this.tracer = tracer;
    }

    public synchronized void add(Consumer<TraceEvent> listener) {
        listeners.add(listener);
        tracer.setListener(this::deliver);
    }

    public synchronized void remove(Consumer<TraceEvent> listener) {
        listeners.remove(listener);
        if (listeners.isEmpty()) {
            tracer.setListener(null);
        }
    }

    public List<Consumer<TraceEvent>> listeners() {
        return List.copyOf(listeners);
    }

    private void deliver(TraceEvent event) {
        for (Consumer<TraceEvent> l : listeners) {
            l.accept(event);
        }
    }
}
