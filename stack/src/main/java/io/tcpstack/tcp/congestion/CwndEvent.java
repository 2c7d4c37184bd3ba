package io.tcpstack.tcp.congestion;

/** Events a congestion control module hears beside ACKs (Linux enum tcp_ca_event). */
public enum CwndEvent {
    /** First transmission when nothing was in flight (CA_EVENT_TX_START). */
    TX_START,
    /** cwnd restarted after an idle period (CA_EVENT_CWND_RESTART). */
    CWND_RESTART,
    /** A cwnd reduction (CWR or Recovery) ended (CA_EVENT_COMPLETE_CWR). */
    COMPLETE_CWR,
    /** A retransmission timeout (CA_EVENT_LOSS). */
    LOSS,
    /** An ACK carried ECE (CA_EVENT_ECN_IS_CE / the ECE bit). */
    ECN_ECE
}
