package io.tcpstack.control;

import io.tcpstack.trace.TraceEvent;
import io.tcpstack.wire.EndpointFilter;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The events one {@code ctl trace} client asked for: a bounded queue between the stack's
 * threads (which must never wait for a client) and the client's connection. When the client
 * reads too slowly the queue fills and events are dropped and counted, not delayed.
 */
final class TraceStream implements Consumer<TraceEvent> {
    static final int CAPACITY = 16_384;

    private final EndpointFilter filter;
    private final boolean verbose;
    private final BlockingQueue<TraceEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private volatile String endReason;

    /** {@code verbose}: each line with its rule and the connection's variables ({@link TraceEvent#verbose()}). */
    TraceStream(EndpointFilter filter, boolean verbose) {
        this.filter = filter;
        this.verbose = verbose;
    }

    EndpointFilter filter() {
        return filter;
    }

    /** The line the client gets for {@code event}. */
    String line(TraceEvent event) {
        return verbose ? event.verbose() : event.toString();
    }

    @Override
    public void accept(TraceEvent event) {
        if ((verbose || event.kind() != TraceEvent.Kind.VARS) && filter.matchesTraceConnection(event.connection())
                && !queue.offer(event)) {
            dropped.incrementAndGet();
        }
    }

    /** The next event, or null after {@code millis} without one. */
    TraceEvent poll(long millis) throws InterruptedException {
        return queue.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Events dropped since the last call (the client was too slow). */
    long takeDropped() {
        return dropped.getAndSet(0);
    }

    /** Ends the stream: the client's thread sends "end REASON" and stops. */
    void end(String reason) {
        endReason = reason;
    }

    /** Why the stream ended, or null while it runs. */
    String endReason() {
        return endReason;
    }
}
