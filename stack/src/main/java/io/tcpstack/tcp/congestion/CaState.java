package io.tcpstack.tcp.congestion;

/**
 * The sender's congestion state (Linux enum tcp_ca_state, include/net/tcp.h), which decides how
 * an ACK moves the congestion window.
 */
public enum CaState {
    /** Nothing suspicious: cwnd grows (TCP_CA_Open). */
    OPEN("open"),
    /** SACKs or duplicate ACKs were seen, no loss yet (TCP_CA_Disorder). */
    DISORDER("disorder"),
    /** cwnd is being reduced for a congestion signal that is not a loss: ECE, a tail loss probe (TCP_CA_CWR). */
    CWR("cwr"),
    /** Fast recovery after a loss detected by SACK, RACK or duplicate ACKs (TCP_CA_Recovery). */
    RECOVERY("recovery"),
    /** After a retransmission timeout: everything unSACKed is presumed lost (TCP_CA_Loss). */
    LOSS("loss");

    private final String ssName;

    CaState(String ssName) {
        this.ssName = ssName;
    }

    /** The name ss -ti would print (tcp_ca_state in lower case). */
    public String ssName() {
        return ssName;
    }

    /** Linux tcp_in_cwnd_reduction: CWR and Recovery reduce cwnd by PRR. */
    public boolean inCwndReduction() {
        return this == CWR || this == RECOVERY;
    }
}
