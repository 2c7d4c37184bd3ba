package io.tcpstack.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tcpstack}: every command of the project is a subcommand of this one. */
@Command(name = "tcpstack", mixinStandardHelpOptions = true, version = "tcpstack 0.1.0",
        description = "A userspace TCP/IP stack in Java on a Linux TUN device.",
        subcommands = {DaemonCommand.class, CtlCommand.class, NcCommand.class, FinAckCommand.class, DrillCommand.class,
                LessonCommand.class, LadderCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for a bad command line, a bad value or a bad config file. */
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree, with the knob options of every command that runs a stack. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        KnobOptions.addAll(cl);
        // a bad flag, a bad knob value, a bad config file, a device that cannot be opened: one
        // line naming the problem, never a stack trace; 2 for bad input, 1 for failures
        cl.setParameterExceptionHandler((e, args) -> {
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            String hint = e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()
                    ? "; did you mean " + String.join(" or ", u.getSuggestions()) + "?" : "";
            e.getCommandLine().getErr().println(name + ": " + e.getMessage() + hint + " (see " + name + " --help)");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            return e instanceof IllegalArgumentException ? USAGE : 1;
        });
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
