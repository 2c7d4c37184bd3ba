package io.tcpstack.profile;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Named sets of knob values that reproduce a kernel era (stack/BEHAVIOURS.md 12). Applying a
 * profile sets its knobs; any knob can still be overridden afterwards ({@link
 * KnobRegistry#describeProfile} names the ones that were).
 *
 * <p>What linux-4.9 puts on the wire, checked against that kernel's source: SYN and SYN-ACK
 * windows of 20 segments (tcp_default_init_rwnd: 2 x TCP_INIT_CWND, so 29200 at MSS 1460, 28960
 * in a SYN-ACK with timestamps; 64 KiB since 4.19); timestamps from jiffies (tcp_time_stamp, so
 * HZ ticks a second: 250 on Debian's 4.9; a 1 ms clock since 4.13) with no offset (random
 * per-connection offsets came in 4.10, 95a22caee396); tw_recycle (removed in 4.12); no linear SYN
 * timeouts (6.5); tcp_rmem 4096 87380 6291456, so window scale 7 (tcp_rmem[1] became 131072 in
 * 4.20, tcp_rmem[2] 32 MiB in 6.x). The other profiles set tcp_rmem to today's default. Its ECN default (tcp_ecn 2: accepted when asked, never asked) and congestion
 * control (cubic) are today's, and every profile sets them, so that a profile undoes what was
 * changed by hand; its initial congestion window (TCP_INIT_CWND 10) and minimum RTO (TCP_RTO_MIN,
 * HZ/5 = 200 ms) are today's constants.
 */
public enum Profile {
    /** The seed's buggy era: a full initial RTO after an unacceptable ACK in SYN-SENT. */
    LINUX_5_5("linux-5.5", SynResend.RTO_INIT, Affinity.NONE, false, TsOffsetMode.PER_CONNECTION, 1000, 0, null),
    /** The fix (9603d47bad46) and modern Linux; the default. */
    LINUX_5_6("linux-5.6", SynResend.TIMEOUT_MIN, Affinity.NONE, false, TsOffsetMode.PER_CONNECTION, 1000, 0, null),
    /** The tw_recycle era (removed in 4.12), and what 4.9 puts on the wire (see above): the NAT lesson. */
    LINUX_4_9("linux-4.9", SynResend.RTO_INIT, Affinity.NONE, true, TsOffsetMode.NONE, 250, 20,
            new BufferSizes(4096, 87380, 6291456)),
    /** A NIC with RSS: one flow, one CPU; the race cannot happen. */
    RSS("rss", SynResend.TIMEOUT_MIN, Affinity.FLOW, false, TsOffsetMode.PER_CONNECTION, 1000, 0, null);

    private final String knobValue;
    private final SynResend synResend;
    private final Affinity affinity;
    private final boolean twRecycle;
    private final TsOffsetMode tsOffsetMode;
    private final int tsHz;
    private final int initRwnd;
    /** tcp_rmem; null: today's default. */
    private final BufferSizes rmem;
    /** Every era here: Linux's default tcp_congestion_control and tcp_ecn, and no linear SYN timeouts. */
    private static final CongestionAlgorithm CONGESTION_CONTROL = CongestionAlgorithm.CUBIC;
    private static final int ECN = 2;

    Profile(String knobValue, SynResend synResend, Affinity affinity, boolean twRecycle, TsOffsetMode tsOffsetMode,
            int tsHz, int initRwnd, BufferSizes rmem) {
        this.knobValue = knobValue;
        this.synResend = synResend;
        this.affinity = affinity;
        this.twRecycle = twRecycle;
        this.tsOffsetMode = tsOffsetMode;
        this.tsHz = tsHz;
        this.initRwnd = initRwnd;
        this.rmem = rmem;
    }

    public String knobValue() {
        return knobValue;
    }

    public void applyTo(TcpSettings settings) {
        settings.synResend = synResend;
        settings.affinity = affinity;
        settings.twRecycle = twRecycle;
        settings.tsOffsetMode = tsOffsetMode;
        settings.tsHz = tsHz;
        settings.initRwnd = initRwnd;
        settings.congestionControl = CONGESTION_CONTROL;
        settings.ecn = ECN;
        settings.synLinearTimeouts = 0;
        settings.rmem = rmem != null ? rmem : new TcpSettings().rmem;
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
