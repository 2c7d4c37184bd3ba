package io.tcpstack.profile;

/**
 * What SYN-SENT does after answering an unacceptable ACK with RST (stack/BEHAVIOURS.md 2; Linux
 * tcp_rcv_synsent_state_process).
 */
public enum SynResend {
    /** Linux <= 5.5: keep the retransmission timer; the SYN goes out after the initial RTO (1 s). */
    RTO_INIT("rto-init"),
    /** Linux >= 5.6 (commit 9603d47bad46): if no SYN was retransmitted yet, resend after TCP_TIMEOUT_MIN. */
    TIMEOUT_MIN("timeout-min");

    private final String knobValue;

    SynResend(String knobValue) {
        this.knobValue = knobValue;
    }

    public String knobValue() {
        return knobValue;
    }

    public static SynResend parse(String value) {
        for (SynResend s : values()) {
            if (s.knobValue.equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("syn-resend must be rto-init or timeout-min, got '" + value + "'");
    }
}
