package io.tcpstack.arch;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import io.tcpstack.tcp.SeqNum;
import io.tcpstack.wire.UpwardImportSample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The protocol engine's layers point one way: each may use the layers below it, never one above.
 * From the bottom: time and counters, the wire (header views), the types the engine and
 * applications share (states, errors, the connection interface: Linux's uapi headers), trace (what
 * happened, in words), links, the knobs and profiles, IP, the inbound queues, TCP (with its
 * congestion control), and the socket API on top, which assembles a stack from all of them.
 */
class LayersTest {
    /** Bottom first: a layer's name and its packages. */
    private static final String[][] LAYERS = {
            {"time and stats", "io.tcpstack.time..", "io.tcpstack.stats.."},
            {"wire", "io.tcpstack.wire.."},
            {"api types", "io.tcpstack.api.types.."},
            {"trace", "io.tcpstack.trace.."},
            {"link", "io.tcpstack.link.."},
            {"profile", "io.tcpstack.profile.."},
            {"ip", "io.tcpstack.ip.."},
            {"inbound queues", "io.tcpstack.inbound.."},
            {"tcp", "io.tcpstack.tcp.."},
            {"api", "io.tcpstack.api"},
    };

    static ArchRule layersPointDown() {
        LayeredArchitecture rule = layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (String[] layer : LAYERS) {
            rule = rule.layer(layer[0]).definedBy(List.of(layer).subList(1, layer.length).toArray(String[]::new));
        }
        List<String> below = new ArrayList<>();
        for (String[] layer : LAYERS) {
            rule = below.isEmpty() ? rule.whereLayer(layer[0]).mayNotAccessAnyLayer()
                    : rule.whereLayer(layer[0]).mayOnlyAccessLayers(below.toArray(String[]::new));
            below.add(layer[0]);
        }
        return rule;
    }

    @Test
    void everyImportPointsDown() {
        JavaClasses engine = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.tcpstack");
        layersPointDown().check(engine);
    }

    /** The rule is not vacuous: a wire class that uses a TCP class breaks it. */
    @Test
    void anUpwardImportFails() {
        JavaClasses sample = new ClassFileImporter().importClasses(UpwardImportSample.class, SeqNum.class);
        assertThat(layersPointDown().evaluate(sample).hasViolation()).isTrue();
    }
}
