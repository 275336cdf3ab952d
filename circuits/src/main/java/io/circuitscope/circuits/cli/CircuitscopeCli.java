package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.io.BuildInfo;
import io.circuitscope.circuits.io.CircuitJson;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code circuitscope} command. Exit codes: 0 success, 2 bad usage, 1 a failed run. Errors are
 * one readable line (a usage error adds one pointing to the command's --help); {@code --verbose} adds the
 * stack trace.
 */
@Command(name = "circuitscope", mixinStandardHelpOptions = true, versionProvider = CircuitscopeCli.Version.class,
        description = "Automated circuit discovery in transformer language models.",
        subcommands = {DiscoverCommand.class, ValidateCommand.class, RenderCommand.class, BatchCommand.class,
            TrainToyCommand.class, LogitsCommand.class, GenerateCommand.class, MakeTaskCommand.class, PatchCommand.class,
            HeadsCommand.class, LensCommand.class, DlaCommand.class, CompareScorersCommand.class,
            HelpCommand.class})
public final class CircuitscopeCli implements Runnable {
    /** svgSalamander (PNG rasterising) logs a warning per text element when Helvetica is missing; held so it is not collected. */
    private static final java.util.logging.Logger SVG_LOG = java.util.logging.Logger.getLogger("com.kitfox.svg");

    static {
        SVG_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces on errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code --version}: the version and the commit it was built from, as circuit.json's software block records them. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"circuitscope " + CircuitJson.SOFTWARE_VERSION, BuildInfo.current().describe()};
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new CircuitscopeCli());
        // picocli gives a subcommand's -V/--version no provider of its parent's: 'discover --version' printed nothing
        cli.getSubcommands().values().forEach(sub -> sub.getCommandSpec().versionProvider(new Version()));
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(UsageErrors::print);
        cli.setExecutionStrategy(parseResult -> {
            UsageErrors.refuseUnmatched(parseResult); // picocli lets them pass when --help is among them
            return new CommandLine.RunLast().execute(parseResult);
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = false;
            for (CommandLine.ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
                verbose |= pr.hasMatchedOption("--verbose");
            }
            if (verbose) {
                ex.printStackTrace(commandLine.getErr());
            } else {
                commandLine.getErr().println("error: " + oneLine(ex));
            }
            commandLine.getErr().flush();
            return 1;
        });
        int code;
        try {
            code = cli.execute(args);
        } catch (OutOfMemoryError e) { // the checks of sizes read from files should leave this to real exhaustion
            err.printf(Locale.ROOT, "error: Java ran out of memory (it may use %.1f GB here; CIRCUITSCOPE_JAVA_OPTS=-Xmx... raises "
                    + "that)%n", Runtime.getRuntime().maxMemory() / 1e9);
            code = 1;
        }
        out.flush();
        err.flush();
        return code;
    }

    private static String oneLine(Throwable ex) {
        if (ex instanceof java.nio.file.NoSuchFileException e) {
            return ConsoleText.escapeControls("no such file or directory: " + e.getFile());
        }
        if (ex instanceof java.nio.file.AccessDeniedException e) {
            return ConsoleText.escapeControls("permission denied: " + e.getFile());
        }
        if (ex instanceof java.nio.file.FileAlreadyExistsException e && e.getReason() == null) {
            return ConsoleText.escapeControls(e.getFile() + ": exists and is not a folder"); // where a folder was to be created
        }
        if (ex instanceof java.nio.file.FileSystemException e) {
            return ConsoleText.escapeControls(e.getFile() + ": " + (e.getReason() != null ? e.getReason()
                    : ex.getClass().getSimpleName()));
        }
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            message = ex.getClass().getSimpleName();
        }
        // one line: a newline is a space; any other control character is shown escaped, not sent to the terminal
        return ConsoleText.escapeControls(message.replace('\n', ' '));
    }
}
