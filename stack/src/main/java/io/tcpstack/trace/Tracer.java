package io.tcpstack.trace;

import java.util.function.Consumer;

/**
 * Where the stack reports {@link TraceEvent}s. Off by default: with no listener, tracing costs one
 * volatile read per event site and allocates nothing.
 */
public final class Tracer {
    private volatile Consumer<TraceEvent> listener;

    /** Starts delivering events to {@code listener} (null stops). Listeners must be thread-safe and quick. */
    public void setListener(Consumer<TraceEvent> listener) {
        this.listener = listener;
    }

    public boolean enabled() {
        return listener != null;
    }

    public void emit(TraceEvent event) {
        Consumer<TraceEvent> l = listener;
        if (l != null) {
            l.accept(event);
        }
    }
}
