package io.tcpstack.cli;

import io.tcpstack.config.HostKnobs;
import io.tcpstack.profile.Knob;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Builds the {@code --NAME VALUE} options of a {@link KnobCommand} from its knobs, so the help
 * lists every knob with what it takes and its default from the registry, and values are checked
 * in one place (the knob) whether they come from a flag, the config file or {@code ctl set}. A
 * repeatable knob's flags add up ({@code --addr 198.18.0.2 --addr 2001:2::2}); the others may
 * be given once.
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
            boolean repeatable = HostKnobs.REPEATABLE.contains(knob);
            spec.addOption(OptionSpec.builder("--" + knob.name())
                    .paramLabel(knob.type().label())
                    .type(repeatable ? String[].class : String.class)
                    .arity("1")
                    .description(description(knob))
                    .getter(new IGetter() {
                        /** A repeatable knob's values so far: picocli adds each flag's to them. */
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T get() {
                            String so = command.flags().get(knob);
                            return repeatable && so != null ? (T) so.split(",") : null;
                        }
                    })
                    .setter(new ISetter() {
                        @Override
                        public <T> T set(T value) {
                            if (value instanceof String[] all) {
                                command.flags().put(knob, String.join(",", all));
                            } else if (value != null) {
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
