package io.tcpstack.daemon;

import io.tcpstack.link.FaultRule;
import io.tcpstack.profile.TcpSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * A stack on a TUN device: the device, the stack's address, the queues, offloads and busy
 * polling, the stack's settings, the optional pcap file (recorded from the start) and the fault
 * rules to start with. Values are validated by their knobs ({@link io.tcpstack.config.HostKnobs}, {@link
 * io.tcpstack.profile.KnobRegistry}).
 */
public record StackOptions(String device, String address, int queues, boolean offload, int busyPollMicros, Path pcap,
        TcpSettings settings, List<FaultRule> faults) {
}
