package io.tcpstack.cli;

import io.tcpstack.daemon.Daemon;
import io.tcpstack.daemon.Reporter;
import io.tcpstack.daemon.StackOptions;
import io.tcpstack.examples.Services;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tcpstack daemon}: the stack on a TUN device, in the foreground, until SIGINT/SIGTERM. */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = "Run the stack on a TUN device (attach or create it) with the demo services.")
final class DaemonCommand implements Callable<Integer> {

    @Mixin
    StackMixin stack;

    @Option(names = "--services", defaultValue = "echo:7,discard:9,http:80",
            description = "services to host, NAME:PORT,... of echo, discard, http (default: ${DEFAULT-VALUE}; '' for none)")
    String services;

    @Option(names = "--report-every", defaultValue = "0",
            description = "print a line of connection and TIME_WAIT figures every N seconds (default: off)")
    int reportEverySeconds;

    @Override
    public Integer call() throws Exception {
        Knobs.configureLogging(stack.logLevel);
        StackOptions options = stack.options();
        Map<String, Integer> spec = Services.parse(services);
        StopSignal stop = StopSignal.install();
        try (Daemon daemon = Daemon.start(options, spec)) {
            System.out.println(daemon.readyLine());
            System.out.flush();
            if (reportEverySeconds > 0) {
                try (Reporter reporter = Reporter.start(daemon.host().stack(), reportEverySeconds * 1000L, System.out)) {
                    stop.await();
                }
            } else {
                stop.await();
            }
        }
        return 0;
    }
}
