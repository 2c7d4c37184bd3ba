package io.tcpstack.daemon;

import io.tcpstack.trace.TraceEvent;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One debug line per connection state change ("198.18.0.2:80 198.18.0.1:40000 SYN-RECV -> ESTAB"). */
final class ConnectionLog implements Consumer<TraceEvent> {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLog.class);

    static boolean wanted() {
        return log.isDebugEnabled();
    }

    @Override
    public void accept(TraceEvent event) {
        if (event.kind() == TraceEvent.Kind.STATE) {
            log.debug("{} {}", event.connection(), event.text());
        }
    }
}
