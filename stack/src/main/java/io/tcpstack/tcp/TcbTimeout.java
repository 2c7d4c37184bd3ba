package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpState;
import io.tcpstack.time.Timeout;
import java.util.function.BiConsumer;

/** One of a Tcb's timers: on expiry takes the Tcb lock and runs its handler, unless the Tcb closed. */
final class TcbTimeout extends Timeout {
    private final Tcb tcb;
    private final BiConsumer<Tcb, Long> handler;

    TcbTimeout(Tcb tcb, BiConsumer<Tcb, Long> handler) {
        this.tcb = tcb;
        this.handler = handler;
    }

    @Override
    protected void expire(long nowNanos) {
        tcb.lock.lock();
        try {
            if (tcb.state != TcpState.CLOSED) {
                handler.accept(tcb, nowNanos);
                tcb.layer.trace().vars(tcb, "after timer");
            }
        } finally {
            tcb.layer.trace().clearCause();
            tcb.lock.unlock();
        }
        Wakeups.runPostedHandlers();
    }
}
