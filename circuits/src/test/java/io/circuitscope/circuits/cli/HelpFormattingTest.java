package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * picocli formats descriptions with String.format: a lone '%' (as in "95% confidence") makes it warn "Could
 * not format" on System.err, once per use of the text, and print the description unformatted.
 */
class HelpFormattingTest {
    @Test
    void everyCommandsHelpFormatsWithoutWarnings() {
        List<List<String>> commands = new ArrayList<>();
        collect(new CommandLine(new CircuitscopeCli()), new ArrayList<>(), commands);
        assertTrue(commands.size() > 10, "the subcommands picocli knows: " + commands);
        PrintStream original = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8)); // where picocli's tracer writes
            for (List<String> command : commands) {
                List<String> args = new ArrayList<>(command);
                args.add("--help");
                CliRun run = CliRun.run(args.toArray(String[]::new));
                assertEquals(0, run.code(), String.join(" ", args) + ": " + run.err());
                String printed = run.out() + run.err() + warnings.toString(StandardCharsets.UTF_8);
                assertFalse(printed.contains("Could not format"), String.join(" ", args) + ":\n" + printed);
                warnings.reset();
            }
        } finally {
            System.setErr(original);
        }
    }

    /** The command at {@code path} and every subcommand below it, each by the words that run it. */
    private static void collect(CommandLine command, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        command.getSubcommands().forEach((name, sub) -> {
            if (!sub.getCommandName().equals(name)) {
                return; // an alias of one already listed
            }
            List<String> deeper = new ArrayList<>(path);
            deeper.add(name);
            collect(sub, deeper, out);
        });
    }
}
