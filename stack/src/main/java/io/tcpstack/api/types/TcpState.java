package io.tcpstack.api.types;

/** The eleven states of RFC 9293 3.3.2, with the names {@code ss} prints for them. */
public enum TcpState {
    CLOSED("CLOSED"),
    LISTEN("LISTEN"),
    SYN_SENT("SYN-SENT"),
    SYN_RECEIVED("SYN-RECV"),
    ESTABLISHED("ESTAB"),
    FIN_WAIT_1("FIN-WAIT-1"),
    FIN_WAIT_2("FIN-WAIT-2"),
    CLOSE_WAIT("CLOSE-WAIT"),
    CLOSING("CLOSING"),
    LAST_ACK("LAST-ACK"),
    TIME_WAIT("TIME-WAIT");

    private final String ssName;

    TcpState(String ssName) {
        this.ssName = ssName;
    }

    /** As {@code ss -tan} prints it. */
    public String ssName() {
        return ssName;
    }

    /** RFC 9293: a synchronized state (the handshake completed). */
    public boolean isSynchronized() {
        return ordinal() >= ESTABLISHED.ordinal();
    }

    /** States in which our FIN has been sent. */
    public boolean finSent() {
        return this == FIN_WAIT_1 || this == FIN_WAIT_2 || this == CLOSING || this == LAST_ACK || this == TIME_WAIT;
    }

    /** States in which the peer may still send data (RFC 9293 3.10.7.4, seventh: process the segment text). */
    public boolean receivesData() {
        return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
    }
}
