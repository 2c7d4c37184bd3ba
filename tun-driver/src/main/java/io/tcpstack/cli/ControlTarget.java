package io.tcpstack.cli;

import io.tcpstack.config.HostKnobs;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which daemon a client talks to: by control socket path, or by device (/run/tcpstack/DEV.sock). */
final class ControlTarget {
    @Option(names = "--control", paramLabel = "PATH", description = "the daemon's control socket (wins over --dev)")
    Path control;

    @Option(names = "--dev", paramLabel = "DEV", description = "the daemon's device; its socket is /run/tcpstack/DEV.sock"
            + " (default: tun0)")
    String device;

    Path socket() {
        if (control != null) {
            return control;
        }
        String dev = device != null ? device : HostKnobs.DEV.defaultValue();
        return Path.of(HostKnobs.CONTROL.defaultValue().replace(HostKnobs.DEV_PLACEHOLDER, dev));
    }
}
