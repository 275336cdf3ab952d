package io.circuitscope.circuits.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;

/**
 * Usage errors as one line and a pointer to the command's help: picocli's default prints the whole usage
 * (~70 lines for discover) after the error, which scrolls the one line that matters out of sight.
 */
final class UsageErrors {
    private UsageErrors() {
    }

    /** Prints the error, what a misspelt option may have meant, and where the options are listed. */
    static int print(CommandLine.ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        PrintWriter err = command.getErr();
        err.println("error: " + ConsoleText.escapeControls(String.valueOf(message(ex, command))));
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            err.println("did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?");
        }
        err.println("(" + command.getCommandSpec().qualifiedName() + " --help lists the "
                + (command.getSubcommands().isEmpty() ? "options)" : "commands)"));
        err.flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * Arguments nothing matched, refused as picocli refuses them without --help: with --help among them picocli
     * printed the main help for {@code circuitscope info --help} and exited 0, as if {@code info} were a command.
     */
    static void refuseUnmatched(CommandLine.ParseResult result) {
        for (CommandLine.ParseResult r = result; r != null; r = r.subcommand()) {
            if (!r.unmatched().isEmpty()) {
                throw new CommandLine.UnmatchedArgumentException(r.commandSpec().commandLine(), r.unmatched());
            }
        }
    }

    /** The error for {@code word} where one of {@code command}'s subcommands was expected. */
    static String unknownCommand(CommandLine command, String word) {
        return "unknown command '" + word + "'; the commands are " + String.join(", ", command.getSubcommands().keySet());
    }

    /** An unknown word where a command was expected is named as such, with the commands there are. */
    private static String message(CommandLine.ParameterException ex, CommandLine command) {
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && !command.getSubcommands().isEmpty()) {
            List<String> words = unmatched.getUnmatched();
            if (!words.isEmpty() && !words.get(0).startsWith("-")) {
                return unknownCommand(command, words.get(0));
            }
        }
        return ex.getMessage();
    }
}
