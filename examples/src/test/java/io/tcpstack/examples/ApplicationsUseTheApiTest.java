package io.tcpstack.examples;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * Applications hold the socket API ({@code io.tcpstack.api} and the types it shares with the
 * engine, {@code io.tcpstack.api.types}), never the engine behind it. The lessons, which build
 * simulated networks, step the inbound queues through races and draw ladders, may also use the
 * layers beside the API (links, inbound queues, traces, knobs, counters, clocks), but not TCP or
 * IP themselves.
 */
class ApplicationsUseTheApiTest {
    private static final String[] ENGINE = {"io.tcpstack.tcp..", "io.tcpstack.ip.."};
    private static final String[] BELOW_THE_API = {"io.tcpstack.tcp..", "io.tcpstack.ip..", "io.tcpstack.inbound..",
            "io.tcpstack.link..", "io.tcpstack.trace..", "io.tcpstack.profile..", "io.tcpstack.stats..",
            "io.tcpstack.time..", "io.tcpstack.wire.."};

    private static JavaClasses examples() {
        return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.tcpstack.examples");
    }

    private static ArchRule servicesUseTheApiOnly() {
        return noClasses().that().resideInAPackage("io.tcpstack.examples")
                .should().dependOnClassesThat().resideInAnyPackage(BELOW_THE_API);
    }

    @Test
    void servicesHoldTheApiOnly() {
        servicesUseTheApiOnly().check(examples());
    }

    @Test
    void lessonsStayOutOfTheEngine() {
        noClasses().that().resideInAPackage("io.tcpstack.examples.lessons..")
                .should().dependOnClassesThat().resideInAnyPackage(ENGINE)
                .check(examples());
    }

    /** The rule is not vacuous: an application class that reaches into TCP breaks it. */
    @Test
    void anApplicationReachingIntoTcpFails() {
        JavaClasses sample = new ClassFileImporter().importClasses(EngineReachingSample.class);
        assertThat(servicesUseTheApiOnly().evaluate(sample).hasViolation()).isTrue();
    }
}
