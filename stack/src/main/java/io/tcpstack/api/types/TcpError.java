package io.tcpstack.api.types;

/** Why a connection failed, as the application sees it (Linux errno). */
public enum TcpError {
    /** ECONNREFUSED: RST in answer to our SYN. */
    CONNECTION_REFUSED("connection refused"),
    /** ECONNRESET: the peer reset an open connection. */
    CONNECTION_RESET("connection reset by peer"),
    /** ETIMEDOUT: retransmissions (SYN, data or keepalive probes) ran out. */
    TIMED_OUT("connection timed out"),
    /** ECONNABORTED: the local side aborted (SO_LINGER 0 close, ctl kill, stack shutdown). */
    ABORTED("connection aborted"),
    /** EPIPE: writing after shutdownOutput/close. */
    BROKEN_PIPE("broken pipe");

    private final String message;

    TcpError(String message) {
        this.message = message;
    }

    public String message() {
        return message;
    }
}
