package io.tcpstack.daemon;

import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.profile.TcpSettings;
import java.nio.file.Path;

/**
 * A stack on a TUN device: the device, the stack's addresses (one or one of each family,
 * comma-separated, as the addr knob spells them), the queues, offloads and busy
 * polling, the stack's settings, and the optional pcap file (recorded from the start) and fault
 * rule. Values are validated by their knobs ({@link io.tcpstack.config.HostKnobs}, {@link
 * io.tcpstack.profile.KnobRegistry}).
 */
public record StackOptions(String device, String address, int queues, boolean offload, int busyPollMicros, Path pcap,
        TcpSettings settings, FaultInjectingLink.Rule fault) {
}
