package io.tcpstack.daemon;

import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Profile;
import io.tcpstack.profile.SynResend;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the daemon runs: the device, the stack's address, the services and the behaviour knobs.
 * Null knobs keep the profile's value.
 */
public record DaemonOptions(
        String device,
        String address,
        int queues,
        Path pcap,
        Map<String, Integer> services,
        Profile profile,
        Affinity affinity,
        SynResend synResend,
        int[] portRange) {

    public DaemonOptions {
        if (queues < 1 || queues > 64) {
            throw new IllegalArgumentException("--queues must be 1..64, got " + queues);
        }
        if (portRange != null && (portRange.length != 2 || portRange[0] < 1 || portRange[1] > 65535
                || portRange[0] > portRange[1])) {
            throw new IllegalArgumentException("--port-range must be LOW-HIGH within 1..65535");
        }
    }
}
