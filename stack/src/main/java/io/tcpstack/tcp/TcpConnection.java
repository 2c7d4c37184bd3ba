package io.tcpstack.tcp;

import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpHandler;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.Counter;
import io.tcpstack.trace.Rule;
import io.tcpstack.wire.IpAddress;
import java.util.concurrent.TimeUnit;

/**
 * The application's handle on a connection (RFC 9293 3.10 user calls: SEND, RECEIVE, CLOSE,
 * ABORT, STATUS). Every call takes the Tcb lock. Calls come in a non-blocking form (timeout 0
 * and {@code block} false) for event loops and virtual-time tests, and a blocking one that waits
 * in real time.
 */
public final class TcpConnection implements Connection {
    private final Tcb tcb;

    TcpConnection(Tcb tcb) {
        this.tcb = tcb;
    }

    public static TcpConnection of(Tcb tcb) {
        return tcb.connection;
    }

    /** The control block (package tests). */
    Tcb tcb() {
        return tcb;
    }

    @Override
    public void setHandler(TcpHandler handler) {
        tcb.lock.lock();
        try {
            tcb.handler = handler;
            Wakeups.notify(tcb);
        } finally {
            tcb.lock.unlock();
        }
        Wakeups.runPostedHandlers();
    }

    @Override
    public TcpState state() {
        return tcb.state;
    }

    @Override
    public boolean isClosed() {
        tcb.lock.lock();
        try {
            return tcb.orphan || tcb.state == TcpState.CLOSED;
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public TcpError error() {
        return tcb.error;
    }

    @Override
    public IpAddress localAddress() {
        return tcb.localAddress;
    }

    @Override
    public int localPort() {
        return tcb.localPort;
    }

    @Override
    public IpAddress remoteAddress() {
        return tcb.remoteAddress;
    }

    @Override
    public int remotePort() {
        return tcb.remotePort;
    }

    @Override
    public ConnectionInfo info() {
        return TcpInfo.of(tcb);
    }

    @Override
    public long handshakeNanos() {
        tcb.lock.lock();
        try {
            long established = tcb.counters.establishedNanos;
            return established == 0 ? -1 : established - tcb.counters.synSentNanos;
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public boolean awaitEstablished(long timeoutMillis) throws TcpException, InterruptedException {
        long deadline = deadline(timeoutMillis);
        tcb.lock.lock();
        try {
            while (tcb.state == TcpState.SYN_SENT || tcb.state == TcpState.SYN_RECEIVED) {
                if (!await(deadline, timeoutMillis)) {
                    return false;
                }
            }
            if (tcb.error != null) {
                throw new TcpException(tcb.error);
            }
            return true;
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public int write(byte[] data, int offset, int length, boolean block, long timeoutMillis)
            throws TcpException, InterruptedException {
        long deadline = deadline(timeoutMillis);
        int written = 0;
        tcb.lock.lock();
        try {
            while (true) {
                written += queue(data, offset + written, length - written);
                if (written == length || !block) {
                    return written;
                }
                if (!await(deadline, timeoutMillis)) {
                    return written;
                }
            }
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public int writeNow(byte[] data, int offset, int length) throws TcpException {
        tcb.lock.lock();
        try {
            return queue(data, offset, length);
        } finally {
            tcb.lock.unlock();
        }
    }

    /** Under the lock: queues what fits of {@code length} bytes and sends what may go. */
    private int queue(byte[] data, int offset, int length) throws TcpException {
        if (tcb.error != null) {
            throw new TcpException(tcb.error);
        }
        if (tcb.finQueued || tcb.state == TcpState.CLOSED) {
            throw new TcpException(TcpError.BROKEN_PIPE);
        }
        if (!tcb.state.isSynchronized()) {
            return 0;
        }
        int n = tcb.layer.memory().sendable(tcb, Math.min(length, tcb.sendBuffer.free()));
        n = tcb.sendBuffer.write(data, offset, n);
        if (n > 0) {
            Wakeups.push(tcb);
        }
        return n;
    }

    @Override
    public int read(byte[] data, int offset, int length, boolean block, long timeoutMillis)
            throws TcpException, InterruptedException {
        long deadline = deadline(timeoutMillis);
        tcb.lock.lock();
        try {
            while (true) {
                int n = take(data, offset, length);
                if (n != 0 || length == 0 || !block || !await(deadline, timeoutMillis)) {
                    return n;
                }
            }
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public int readNow(byte[] data, int offset, int length) throws TcpException {
        tcb.lock.lock();
        try {
            return take(data, offset, length);
        } finally {
            tcb.lock.unlock();
        }
    }

    /** Under the lock: what is there to read now; -1 at end of stream, 0 for nothing yet. */
    private int take(byte[] data, int offset, int length) throws TcpException {
        if (length == 0) {
            return 0;
        }
        int n = tcb.receiveBuffer.read(data, offset, length);
        if (n > 0) {
            tcb.layer.memory().reclaim(tcb);
            tcb.layer.receive().rcvSpaceAdjust(tcb);
            windowUpdate();
            return n;
        }
        if (tcb.finReceived) {
            return -1;
        }
        if (tcb.error != null) {
            throw new TcpException(tcb.error);
        }
        return tcb.state == TcpState.CLOSED ? -1 : 0;
    }

    @Override
    public int sendSpace() {
        tcb.lock.lock();
        try {
            return tcb.sendBuffer.free();
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public boolean peerClosed() {
        return tcb.finReceived;
    }

    @Override
    public int available() {
        tcb.lock.lock();
        try {
            return tcb.receiveBuffer.size();
        } finally {
            tcb.lock.unlock();
        }
    }

    /**
     * Linux tcp_cleanup_rbuf: after the application read, send a window update when the window
     * we can offer is at least twice the one the peer still sees.
     */
    private void windowUpdate() {
        if (!tcb.state.receivesData()) {
            return;
        }
        int offered = tcb.rcvWnd - (tcb.rcvNxt - tcb.rcvWup);
        if (2L * offered <= tcb.receiveBuffer.capacity()) {
            int window = tcb.layer.output().selectWindow(tcb);
            if (window != 0 && window >= 2L * offered) {
                tcb.layer.trace().cause(tcb, Rule.WINDOW_UPDATE);
                tcb.layer.output().sendAck(tcb);
            }
        }
    }

    @Override
    public void shutdownOutput() {
        tcb.lock.lock();
        try {
            switch (tcb.state) {
                case SYN_RECEIVED, ESTABLISHED -> queueFin(TcpState.FIN_WAIT_1);
                case CLOSE_WAIT -> queueFin(TcpState.LAST_ACK);
                default -> {
                }
            }
        } finally {
            tcb.lock.unlock();
        }
        Wakeups.runPostedHandlers();
    }

    @Override
    public void close() {
        tcb.lock.lock();
        try {
            TcpLayer layer = tcb.layer;
            layer.limits().orphan(tcb);
            tcb.handler = null;
            switch (tcb.state) {
                case CLOSED -> {
                }
                case SYN_SENT -> layer.states().close(tcb, null, false);
                case SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT -> {
                    if (tcb.receiveBuffer.size() > 0) {
                        layer.stats().inc(Counter.TcpExtTCPAbortOnClose);
                        layer.states().close(tcb, TcpError.ABORTED, true);
                    } else if (tcb.lingerZero) {
                        layer.stats().inc(Counter.TcpExtTCPAbortOnData); // as Linux counts a zero-linger close
                        layer.states().close(tcb, TcpError.ABORTED, true);
                    } else {
                        queueFin(tcb.state == TcpState.CLOSE_WAIT ? TcpState.LAST_ACK : TcpState.FIN_WAIT_1);
                    }
                }
                case FIN_WAIT_2 -> {
                    if (tcb.lingerZero) {
                        layer.states().close(tcb, TcpError.ABORTED, true);
                    } else {
                        layer.timeWait().enter(tcb, TcpState.FIN_WAIT_2); // Linux __tcp_close
                    }
                }
                default -> {
                    if (tcb.lingerZero) {
                        layer.states().close(tcb, TcpError.ABORTED, true);
                    }
                }
            }
            layer.limits().checkOrphans(tcb);
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public void abort() {
        tcb.lock.lock();
        try {
            tcb.layer.limits().orphan(tcb);
            tcb.handler = null;
            tcb.layer.states().abort(tcb);
        } finally {
            tcb.lock.unlock();
        }
    }

    private void queueFin(TcpState next) {
        tcb.finQueued = true;
        tcb.layer.states().setState(tcb, next);
        Wakeups.push(tcb);
    }

    @Override
    public void setNoDelay(boolean on) {
        tcb.lock.lock();
        try {
            tcb.noDelay = on;
            if (on) {
                DataTransmit.push(tcb);
            }
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public void setLingerZero(boolean on) {
        tcb.lock.lock();
        try {
            tcb.lingerZero = on;
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public void setKeepAlive(boolean on) {
        tcb.lock.lock();
        try {
            tcb.keepAlive = on;
            tcb.lastActivityMs = tcb.layer.nowMs();
            TcpTimers.armKeepalive(tcb);
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public void setKeepAliveTimes(int idleSeconds, int intervalSeconds, int probes) {
        if (idleSeconds < 0 || idleSeconds > 32767 || intervalSeconds < 0 || intervalSeconds > 32767 || probes < 0
                || probes > 127) {
            throw new IllegalArgumentException("keepalive times out of range");
        }
        tcb.lock.lock();
        try {
            if (idleSeconds > 0) {
                tcb.keepIdleMs = idleSeconds * 1000L;
            }
            if (intervalSeconds > 0) {
                tcb.keepIntvlMs = intervalSeconds * 1000L;
            }
            if (probes > 0) {
                tcb.keepCnt = probes;
            }
            if (idleSeconds > 0 && tcb.probesOut == 0) {
                TcpTimers.armKeepalive(tcb);
            }
        } finally {
            tcb.lock.unlock();
        }
    }

    /** The deadline of a wait, on the stack's clock. */
    private long deadline(long timeoutMillis) {
        return tcb.layer.clock().nanos() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /** Waits for a change; false when the deadline passed (timeout 0 = no deadline). */
    private boolean await(long deadline, long timeoutMillis) throws InterruptedException {
        if (timeoutMillis == 0) {
            tcb.changed.await();
            return true;
        }
        long left = deadline - tcb.layer.clock().nanos();
        if (left <= 0) {
            return false;
        }
        tcb.changed.awaitNanos(left);
        return true;
    }

    @Override
    public String toString() {
        return tcb.toString();
    }
}
