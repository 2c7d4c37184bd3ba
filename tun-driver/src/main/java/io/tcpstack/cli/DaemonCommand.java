package io.tcpstack.cli;

import io.tcpstack.config.Config;
import io.tcpstack.config.HostKnobs;
import io.tcpstack.daemon.Daemon;
import io.tcpstack.daemon.Reporter;
import io.tcpstack.daemon.SdNotify;
import io.tcpstack.profile.Knob;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tcpstack daemon}: the stack on a TUN device, in the foreground, until SIGTERM or SIGINT. */
@Command(name = "daemon", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        description = {"Run the stack on a TUN device (attached or created) with the demo services and a control socket"
                + " for tcpstack ctl and tcpstack nc, until SIGTERM or SIGINT.",
                "Knobs come from their defaults, then --config FILE, then the flags. SIGHUP reads FILE again and applies"
                        + " the live knobs that changed. SIGTERM drains: FIN to every open connection, at most"
                        + " drain-timeout, then RST to the rest."},
        footer = {"", "Config file: one knob per line, NAME = VALUE, names as the flags without -- or as the Linux sysctl"
                + " (tcp_fin_timeout); # starts a comment. scripts/tcpstack.conf is an example."})
final class DaemonCommand extends KnobCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", order = -1,
            description = "read knobs from FILE (NAME = VALUE lines); flags override it; SIGHUP reads it again")
    Path config;

    @Override
    List<Knob> knobs() {
        return HostKnobs.forDaemon();
    }

    @Option(names = "--report-every", defaultValue = "0",
            description = "print a line of connection and TIME_WAIT figures every N seconds (default: off)")
    int reportEverySeconds;

    @Override
    public Integer call() throws Exception {
        Config configuration = resolve(config);
        StopSignal signals = StopSignal.installWithReload();
        try (Daemon daemon = Daemon.start(configuration)) {
            System.out.println(daemon.readyLine());
            System.out.flush();
            SdNotify.send("READY=1\nSTATUS=" + daemon.readyLine());
            Reporter reporter = reportEverySeconds > 0
                    ? Reporter.start(daemon.host().stack(), reportEverySeconds * 1000L, System.out) : null;
            while (!signals.awaitStopOrReload()) {
                daemon.reload();
            }
            if (reporter != null) {
                reporter.close();
            }
            SdNotify.send("STOPPING=1");
        }
        return 0;
    }
}
