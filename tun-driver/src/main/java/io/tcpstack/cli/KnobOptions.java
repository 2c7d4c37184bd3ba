package io.tcpstack.cli;

import io.tcpstack.profile.Knob;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Builds the {@code --NAME VALUE} options of a {@link KnobCommand} from its knobs, so the help
 * lists every knob with what it takes and its default from the registry, and values are checked
 * in one place (the knob) whether they come from a flag, the config file or {@code ctl set}.
 */
final class KnobOptions {
    private KnobOptions() {
    }

    /** Adds the knob options to every {@link KnobCommand} in the tree under {@code cl}. */
    static void addAll(CommandLine cl) {
        if (cl.getCommand() instanceof KnobCommand command) {
            addTo(cl.getCommandSpec(), command);
        }
        cl.getSubcommands().values().forEach(KnobOptions::addAll);
    }

    private static void addTo(CommandSpec spec, KnobCommand command) {
        for (Knob knob : command.knobs()) {
            spec.addOption(OptionSpec.builder("--" + knob.name())
                    .paramLabel(knob.type().label())
                    .type(String.class)
                    .arity("1")
                    .description(description(knob))
                    .setter(new ISetter() {
                        @Override
                        public <T> T set(T value) {
                            if (value != null) {
                                command.flags().put(knob, (String) value);
                            }
                            return null;
                        }
                    })
                    .build());
        }
    }

    /** "life of an orphaned connection in FIN_WAIT_2 [tcp_fin_timeout]. A duration 1ms..3600s ... Default 60s; live." */
    static String description(Knob knob) {
        String sysctl = knob.sysctl() == null ? "" : " [" + knob.sysctl() + "]";
        String when = knob.isLive() ? "live: " + knob.appliesTo() : "at start";
        return knob.help() + sysctl + ". Takes " + knob.type().allowed() + ". Default " + knob.defaultValue() + "; "
                + when + ".";
    }
}
