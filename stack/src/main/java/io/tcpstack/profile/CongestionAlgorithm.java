package io.tcpstack.profile;

/** The congestion control algorithms a connection can run (Linux tcp_congestion_control). */
public enum CongestionAlgorithm {
    /** NewReno (RFC 5681, RFC 6582; Linux tcp_reno). */
    RENO("reno"),
    /** CUBIC (RFC 9438) with HyStart++ (RFC 9406); Linux's default (tcp_cubic). */
    CUBIC("cubic");

    private final String knobValue;

    CongestionAlgorithm(String knobValue) {
        this.knobValue = knobValue;
    }

    public String knobValue() {
        return knobValue;
    }
}
