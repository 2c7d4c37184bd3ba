package io.tcpstack.daemon;

import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Profile;
import io.tcpstack.profile.SynResend;
import io.tcpstack.profile.TcpSettings;
import java.nio.file.Path;

/**
 * A stack on a TUN device: the device, the stack's address, the behaviour knobs (null keeps the
 * profile's value) and the optional pcap file and fault rule.
 */
public record StackOptions(
        String device,
        String address,
        int queues,
        Path pcap,
        Profile profile,
        Affinity affinity,
        SynResend synResend,
        int[] portRange,
        long lookupDelayMicros,
        FaultInjectingLink.Rule fault) {

    public StackOptions {
        if (queues < 1 || queues > 64) {
            throw new IllegalArgumentException("--queues must be 1..64, got " + queues);
        }
        if (portRange != null && (portRange.length != 2 || portRange[0] < 1 || portRange[1] > 65535
                || portRange[0] > portRange[1])) {
            throw new IllegalArgumentException("--port-range must be LOW-HIGH within 1..65535");
        }
        if (lookupDelayMicros < 0 || lookupDelayMicros > 1_000_000) {
            throw new IllegalArgumentException("--lookup-delay-us must be 0..1000000, got " + lookupDelayMicros);
        }
    }

    /** The settings these options give: the profile first, then each knob that is set. */
    public TcpSettings settings() {
        TcpSettings settings = new TcpSettings();
        if (profile != null) {
            profile.applyTo(settings);
        }
        if (affinity != null) {
            settings.affinity = affinity;
        }
        if (synResend != null) {
            settings.synResend = synResend;
        }
        if (portRange != null) {
            settings.portRangeLow = portRange[0];
            settings.portRangeHigh = portRange[1];
        }
        settings.lookupDelayMicros = lookupDelayMicros;
        return settings;
    }
}
