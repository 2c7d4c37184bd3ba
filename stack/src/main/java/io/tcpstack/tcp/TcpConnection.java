package io.tcpstack.tcp;

import io.tcpstack.api.types.Connection;
import io.tcpstack.api.types.ConnectionInfo;
import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpHandler;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.wire.IpAddress;
import java.util.concurrent.TimeUnit;

/**
 * The application's handle on a connection (RFC 9293 3.10 user calls: SEND, RECEIVE, CLOSE,
 * ABORT, STATUS). Every call takes the Tcb lock; what SEND, RECEIVE and CLOSE do under it is
 * {@link UserCalls}. Calls come in a non-blocking form (timeout 0 and {@code block} false) for
 * event loops and virtual-time tests, and a blocking one that waits in real time.
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
                written += UserCalls.send(tcb, data, offset + written, length - written);
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
            return UserCalls.send(tcb, data, offset, length);
        } finally {
            tcb.lock.unlock();
        }
    }

    @Override
    public int read(byte[] data, int offset, int length, boolean block, long timeoutMillis)
            throws TcpException, InterruptedException {
        long deadline = deadline(timeoutMillis);
        tcb.lock.lock();
        try {
            while (true) {
                int n = UserCalls.receive(tcb, data, offset, length);
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
            return UserCalls.receive(tcb, data, offset, length);
        } finally {
            tcb.lock.unlock();
        }
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

    @Override
    public void shutdownOutput() {
        tcb.lock.lock();
        try {
            UserCalls.shutdown(tcb);
        } finally {
            tcb.lock.unlock();
        }
        Wakeups.runPostedHandlers();
    }

    @Override
    public void close() {
        tcb.lock.lock();
        try {
            UserCalls.close(tcb);
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
