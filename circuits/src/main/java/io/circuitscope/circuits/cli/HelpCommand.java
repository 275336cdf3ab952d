package io.circuitscope.circuits.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code circuitscope help [COMMAND]}: the help of a command, or of circuitscope. picocli's own help command
 * printed "Unknown subcommand" and the main help for an unknown name, and exited 0.
 */
// standard help options as every command has: usage errors point to "circuitscope help --help"
@Command(name = "help", mixinStandardHelpOptions = true,
        description = "Print the help of a command (or, without one, of circuitscope).")
final class HelpCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "COMMAND", description = "The command whose help to print.")
    String command;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine main = spec.parent().commandLine();
        CommandLine target = command == null ? main : main.getSubcommands().get(command);
        if (target == null) {
            throw new CommandLine.ParameterException(main, UsageErrors.unknownCommand(main, command));
        }
        target.usage(spec.commandLine().getOut());
        return 0;
    }
}
