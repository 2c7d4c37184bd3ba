package io.tcpstack.profile;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Named sets of knob values that reproduce a kernel era (stack/BEHAVIOURS.md 12). Applying a profile
 * sets its knobs; any knob can still be overridden afterwards.
 */
public enum Profile {
    /** The seed's buggy era: a full initial RTO after an unacceptable ACK in SYN-SENT. */
    LINUX_5_5("linux-5.5", SynResend.RTO_INIT, Affinity.NONE, false, TsOffsetMode.PER_CONNECTION),
    /** The fix (9603d47bad46) and modern Linux; the default. */
    LINUX_5_6("linux-5.6", SynResend.TIMEOUT_MIN, Affinity.NONE, false, TsOffsetMode.PER_CONNECTION),
    /** The tw_recycle era (removed in 4.12; random timestamp offsets came in 4.10): the NAT lesson. */
    LINUX_4_9("linux-4.9", SynResend.RTO_INIT, Affinity.NONE, true, TsOffsetMode.NONE),
    /** A NIC with RSS: one flow, one CPU; the race cannot happen. */
    RSS("rss", SynResend.TIMEOUT_MIN, Affinity.FLOW, false, TsOffsetMode.PER_CONNECTION);

    private final String knobValue;
    private final SynResend synResend;
    private final Affinity affinity;
    private final boolean twRecycle;
    private final TsOffsetMode tsOffsetMode;

    Profile(String knobValue, SynResend synResend, Affinity affinity, boolean twRecycle, TsOffsetMode tsOffsetMode) {
        this.knobValue = knobValue;
        this.synResend = synResend;
        this.affinity = affinity;
        this.twRecycle = twRecycle;
        this.tsOffsetMode = tsOffsetMode;
    }

    public String knobValue() {
        return knobValue;
    }

    public void applyTo(TcpSettings settings) {
        settings.synResend = synResend;
        settings.affinity = affinity;
        settings.twRecycle = twRecycle;
        settings.tsOffsetMode = tsOffsetMode;
        settings.profile = this;
    }

    public static Profile parse(String value) {
        for (Profile p : values()) {
            if (p.knobValue.equals(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException("profile must be one of "
                + Arrays.stream(values()).map(Profile::knobValue).collect(Collectors.joining(", ")) + ", got '" + value + "'");
    }
}
