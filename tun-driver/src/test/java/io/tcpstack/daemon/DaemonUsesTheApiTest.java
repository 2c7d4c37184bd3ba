package io.tcpstack.daemon;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The TUN device, the daemon, its control socket and CLI run the stack through its API and the
 * layers beside it (links, inbound queues, traces, knobs, counters), never through TCP or IP
 * themselves; the daemon's services are applications and hold the socket API only.
 * ApplicationsUseTheApiTest (examples) shows that such rules catch a violation.
 */
class DaemonUsesTheApiTest {
    private static final JavaClasses DAEMON = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.tcpstack.tun", "io.tcpstack.daemon", "io.tcpstack.control", "io.tcpstack.cli",
                    "io.tcpstack.config", "io.tcpstack.drill", "io.tcpstack.bench");

    @Test
    void theDaemonStaysOutOfTheEngine() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("io.tcpstack.tcp..", "io.tcpstack.ip..")
                .check(DAEMON);
    }

    @Test
    void theServicesHoldTheApiOnly() {
        noClasses().that().resideInAPackage("io.tcpstack.daemon.services")
                .should().dependOnClassesThat().resideInAnyPackage("io.tcpstack.tcp..", "io.tcpstack.ip..",
                        "io.tcpstack.inbound..", "io.tcpstack.link..", "io.tcpstack.trace..", "io.tcpstack.profile..",
                        "io.tcpstack.stats..", "io.tcpstack.time..", "io.tcpstack.wire..")
                .check(DAEMON);
    }
}
