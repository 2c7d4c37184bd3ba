package io.tcpstack.tcp;

import io.tcpstack.api.types.TcpError;
import io.tcpstack.api.types.TcpException;
import io.tcpstack.api.types.TcpState;
import io.tcpstack.stats.Counter;
import io.tcpstack.trace.Rule;

/**
 * What the user calls SEND, RECEIVE and CLOSE do to a connection (RFC 9293 3.10.2 to 3.10.4;
 * Linux tcp_sendmsg, tcp_recvmsg with tcp_cleanup_rbuf, tcp_shutdown and tcp_close in
 * net/ipv4/tcp.c). {@link TcpConnection} takes the Tcb lock and waits; these run under the lock.
 */
final class UserCalls {
    private UserCalls() {
    }

    /** SEND (Linux tcp_sendmsg): queues what fits of {@code length} bytes and sends what may go. */
    static int send(Tcb tcb, byte[] data, int offset, int length) throws TcpException {
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

    /** RECEIVE (Linux tcp_recvmsg): what is there to read now; -1 at end of stream, 0 for nothing yet. */
    static int receive(Tcb tcb, byte[] data, int offset, int length) throws TcpException {
        if (length == 0) {
            return 0;
        }
        int n = tcb.receiveBuffer.read(data, offset, length);
        if (n > 0) {
            tcb.layer.memory().reclaim(tcb);
            RcvBufAutotuning.rcvSpaceAdjust(tcb);
            windowUpdate(tcb);
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

    /**
     * Linux tcp_cleanup_rbuf: after the application read, send a window update when the window
     * we can offer is at least twice the one the peer still sees.
     */
    private static void windowUpdate(Tcb tcb) {
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

    /** shutdown(SHUT_WR) (Linux tcp_shutdown): our FIN goes after the queued data. */
    static void shutdown(Tcb tcb) {
        switch (tcb.state) {
            case SYN_RECEIVED, ESTABLISHED -> queueFin(tcb, TcpState.FIN_WAIT_1);
            case CLOSE_WAIT -> queueFin(tcb, TcpState.LAST_ACK);
            default -> {
            }
        }
    }

    /** CLOSE (Linux __tcp_close): the application lets go; the connection finishes as an orphan. */
    static void close(Tcb tcb) {
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
                    queueFin(tcb, tcb.state == TcpState.CLOSE_WAIT ? TcpState.LAST_ACK : TcpState.FIN_WAIT_1);
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
    }

    /** Our FIN queues behind the data, the state becomes {@code next} (Linux tcp_close_state). */
    private static void queueFin(Tcb tcb, TcpState next) {
        tcb.finQueued = true;
        tcb.layer.states().setState(tcb, next);
        Wakeups.push(tcb);
    }
}
