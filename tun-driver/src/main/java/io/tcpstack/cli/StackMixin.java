package io.tcpstack.cli;

import io.tcpstack.daemon.StackOptions;
import io.tcpstack.link.FaultInjectingLink;
import io.tcpstack.profile.Affinity;
import io.tcpstack.profile.Profile;
import io.tcpstack.profile.SynResend;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of every command that runs a stack on a TUN device. */
final class StackMixin {

    @Option(names = "--dev", defaultValue = "tun0", description = "TUN device, attached or created (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--addr", defaultValue = "198.18.0.2", description = "the stack's IPv4 address (default: ${DEFAULT-VALUE})")
    String address;

    @Option(names = "--queues", defaultValue = "2", description = "TUN queues, one reader thread each (default: ${DEFAULT-VALUE})")
    int queues;

    @Option(names = "--pcap", description = "record every packet, both directions, to this pcap file")
    Path pcap;

    @Option(names = "--profile", description = "behaviour profile: linux-5.5, linux-5.6 (default), linux-4.9, rss")
    Profile profile;

    @Option(names = "--affinity", description = "inbound flow affinity: none (profile default) or flow")
    Affinity affinity;

    @Option(names = "--syn-resend", description = "SYN resend after an unacceptable ACK in SYN-SENT: rto-init or timeout-min")
    SynResend synResend;

    @Option(names = "--port-range", description = "local port range for connect, LOW-HIGH (default 32768-60999)")
    String portRange;

    @Option(names = "--lookup-delay-us", defaultValue = "0",
            description = "fault injection: pause between connection lookup and lock, widening the FIN/ACK race (default 0)")
    long lookupDelayMicros;

    @Option(names = "--fault", description = "drop segments: in|out:FLAGS[/N], e.g. out:RA/10 drops every 10th RST/ACK sent")
    String fault;

    @Option(names = "--log-level", defaultValue = "info", description = "error, warn, info, debug, trace (default: ${DEFAULT-VALUE})")
    String logLevel;

    StackOptions options() {
        return new StackOptions(device, address, queues, pcap, profile, affinity, synResend,
                portRange == null ? null : Knobs.portRange(portRange), lookupDelayMicros,
                fault == null ? null : FaultInjectingLink.Rule.parse(fault));
    }
}
