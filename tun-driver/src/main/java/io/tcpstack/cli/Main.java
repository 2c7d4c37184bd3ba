package io.tcpstack.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tcpstack}: every command of the project is a subcommand of this one. */
@Command(name = "tcpstack", mixinStandardHelpOptions = true, version = "tcpstack 0.1.0",
        description = "A userspace TCP/IP stack in Java on a Linux TUN device.",
        subcommands = {DaemonCommand.class, FinAckCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree, with picocli's converters for the stack's knob types. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        Knobs.registerConverters(cl);
        // bad values found while starting (a fault rule, a port range, a device that cannot be
        // opened) get one clear line, not a stack trace: 2 for bad input, 1 for failures
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("tcpstack " + cmd.getCommandName() + ": " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
