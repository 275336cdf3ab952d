package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every {@code ./circuitscope} command the README shows: the concrete ones of "The two commands" and
 * the tour are run, in order, in a scratch copy of the project layout; the syntax lines of the other
 * sections must only use options their command has.
 */
class ReadmeCommandsTest {
    @TempDir
    Path tmp;

    static List<String> readme() throws Exception {
        return Files.readAllLines(Path.of("..", "README.md"));
    }

    static List<String> commandsBetween(List<String> lines, String from, String to) {
        List<String> out = new ArrayList<>();
        boolean inside = false;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                inside = line.equals(from) || (inside && !line.equals(to));
            }
            String t = line.trim();
            if (inside && t.startsWith("./circuitscope ")) {
                out.add(t);
            }
        }
        return out;
    }

    /** Splits a shell command line on spaces, honouring double quotes. */
    static List<String> split(String command) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : command.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ' ' && !quoted) {
                if (cur.length() > 0) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }

    @Test
    void theTwoCommandsAndTheTourRun() throws Exception {
        Path shared = Path.of(System.getProperty("circuitscope.sharedDir", "../../shared")).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(shared.resolve("models/stories260K/stories260K.bin")),
                "skipped: the tour uses ../shared/models/stories260K, which is not at " + shared);
        Path root = tmp.resolve("project");
        Files.createDirectories(root.resolve("examples"));
        Files.createSymbolicLink(tmp.resolve("shared"), shared);
        Files.copy(Path.of("..", "examples", "batch-plan.yaml"), root.resolve("examples/batch-plan.yaml"));
        List<String> lines = readme();
        List<String> commands = commandsBetween(lines, "## The two commands", "## Layout");
        assertTrue(commands.size() >= 10, "the tour shows the commands: " + commands);
        for (String command : commands) {
            List<String> args = new ArrayList<>();
            for (String arg : split(command).subList(1, split(command).size())) {
                if (arg.startsWith("../shared/")) {
                    arg = tmp.resolve("shared").resolve(arg.substring("../shared/".length())).toString();
                } else if (arg.startsWith("runs/") || arg.startsWith("examples/")) {
                    arg = root.resolve(arg).toString();
                }
                args.add(arg);
            }
            if (args.get(0).equals("discover") && !args.contains("--out")) {
                args.add("--out");
                args.add(root.resolve("runs/default").toString());
            }
            args.add(args.get(0).equals("batch") || args.get(0).equals("discover") || args.get(0).equals("validate")
                    ? "--quiet" : "--verbose");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = CircuitscopeCli.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
            assertEquals(0, code, command + "\n" + out + err);
        }
        assertTrue(Files.isRegularFile(root.resolve("runs/tour/report.html")));
        assertTrue(Files.isRegularFile(root.resolve("runs/tour/circuit.svg")));
        assertTrue(Files.readString(root.resolve("runs/batch-example/summary.md")).contains("done"));
    }

    /**
     * Every {@code ./circuitscope} command the README shows: a code line's to its end (less a trailing {@code #}
     * comment), and one inside a sentence to its closing backtick, over as many lines as the synopsis continues on
     * (a synopsis such as discover's spans three).
     */
    static List<String> shownCommands(List<String> lines) {
        String text = String.join("\n", lines);
        List<String> out = new ArrayList<>();
        int at = text.indexOf("./circuitscope ");
        while (at >= 0) {
            boolean inline = at > 0 && text.charAt(at - 1) == '`';
            int end = inline ? text.indexOf('`', at) : text.indexOf('\n', at);
            if (end < 0) {
                assertTrue(!inline, "README: a command's backtick is never closed: " + text.substring(at));
                end = text.length();
            }
            String command = text.substring(at, end).replace('\n', ' ');
            out.add(inline || !command.contains(" # ") ? command : command.substring(0, command.indexOf(" # ")));
            at = text.indexOf("./circuitscope ", end);
        }
        return out;
    }

    @Test
    void aSynopsisIsReadOnToItsContinuationLines() {
        List<String> lines = List.of("`./circuitscope discover [--model M]", "[--tau X] [--out DIR]` writes `--not-an-option`",
                "    ./circuitscope lens --model M   # --not-an-option either");
        assertEquals(List.of("./circuitscope discover [--model M] [--tau X] [--out DIR]", "./circuitscope lens --model M  "),
                shownCommands(lines));
    }

    @Test
    void everyOptionTheReadmeShowsExists() throws Exception {
        CommandLine cli = new CommandLine(new CircuitscopeCli());
        int checked = 0;
        for (String t : shownCommands(readme())) {
            List<String> words = split(t.replace("`", " ").replace("[", " ").replace("]", " ")
                    .replace("(", " ").replace(")", " ").replace("|", " "));
            String sub = words.get(1);
            // `./circuitscope --version` shows an option of the top command itself
            CommandLine command = sub.startsWith("--") ? cli : cli.getSubcommands().get(sub);
            assertNotNull(command, "README shows an unknown command: " + t);
            for (String w : words) {
                if (w.startsWith("--")) {
                    String option = w.contains("=") ? w.substring(0, w.indexOf('=')) : w;
                    assertNotNull(command.getCommandSpec().findOption(option), "README: " + sub + " has no option "
                            + option + " (" + t + ")");
                    checked++;
                }
            }
        }
        assertTrue(checked > 30, "checked " + checked + " options");
    }
}
