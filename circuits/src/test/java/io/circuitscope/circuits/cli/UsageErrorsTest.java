package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.discovery.Methods;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Usage errors and help: one error line and a pointer to --help, help that lists what the options accept. */
class UsageErrorsTest {
    /** Every usage error was followed by the whole usage (~70 lines), which scrolled the error away. */
    @Test
    void aUsageErrorIsOneLineAndAPointerToTheHelp() {
        CliRun r = run("render", "circuit.json", "--top-edges", "-1");
        assertEquals(2, r.code());
        assertEquals(List.of("error: --top-edges must be >= 0, got -1", "(circuitscope render --help lists the options)"),
                r.err().lines().toList());
        r = run("render", "circuit.json", "--collapse-above", "0");
        assertEquals("error: --collapse-above must be >= 1, got 0", r.err().lines().findFirst().orElseThrow());

        r = run("discover", "--metirc", "kl");
        assertEquals(2, r.code());
        assertEquals(3, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("did you mean --method or --metric?"), r.err());
    }

    /** --examples 0 or -2 ran on and failed with "task 'planted-ioi' has no examples" (exit 1), not naming the option. */
    @Test
    void examplesBelowOneIsAUsageError() {
        for (String[] args : new String[][] {{"discover", "--examples", "0", "--no-render", "--no-validate"},
                {"compare-scorers", "--examples", "-2"}}) {
            CliRun r = run(args);
            assertEquals(2, r.code(), r.err());
            assertEquals("error: --examples must be >= " + 1 + ", got " + args[2], r.err().lines().findFirst().orElseThrow());
        }
    }

    /** heads --threshold NaN ran and printed "heads above NaN: []"; Infinity selected nothing as silently. */
    @Test
    void aThresholdThatIsNotFiniteIsAUsageError() {
        for (String value : new String[] {"NaN", "Infinity"}) {
            CliRun r = run("heads", "--model", "planted:ioi", "--score", "translation", "--threshold", value);
            assertEquals(2, r.code(), r.err());
            assertEquals("error: --threshold must be a finite number, got " + value,
                    r.err().lines().findFirst().orElseThrow());
        }
    }

    /**
     * compare-scorers named --scorers for --ig-steps 0 ("--scorers: EAP-IG needs at least one step, got 0") and every
     * option at once, without the value, for the others.
     */
    @Test
    void compareScorersNamesTheOptionOutOfRange() {
        for (String[] bad : new String[][] {{"--ig-steps", "0"}, {"--batch-size", "0"}, {"--top-edges", "-1"},
                {"--top-nodes", "0"}, {"--exact-edges", "0"}}) {
            CliRun r = run("compare-scorers", bad[0], bad[1]);
            assertEquals(2, r.code(), r.err());
            assertEquals("error: " + bad[0] + " must be >= 1, got " + bad[1], r.err().lines().findFirst().orElseThrow());
        }
    }

    /** compare-scorers --out /proc/x/r.json (as root) ran the exact patching and then failed to write its results. */
    @Test
    void anOutFileWhoseFolderCannotBeMadeIsRefusedFirst() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self")),
                "needs Linux's /proc");
        CliRun r = run("compare-scorers", "--scorers", "eap", "--quiet", "--out", "/proc/circuitscope-x/r.json");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: --out /proc/circuitscope-x/r.json: cannot be created"), r.err());
    }

    /** "help nosuch" printed "Unknown subcommand" and the main help with exit 0. */
    @Test
    void helpOfAnUnknownCommandIsAUsageError() {
        CliRun r = run("help", "nosuch");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().startsWith("error: unknown command 'nosuch'; the commands are discover, validate, render"),
                r.err());
        assertEquals("", r.out());

        r = run("help", "render");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Usage: circuitscope render"), r.out());
        r = run("help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Usage: circuitscope [") && r.out().contains("compare-scorers"), r.out());
    }

    /** "info --help" printed the main help with exit 0, as if info were a command. */
    @Test
    void anUnknownCommandBeforeHelpIsRefused() {
        CliRun r = run("info", "--help");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().startsWith("error: unknown command 'info'"), r.err());
        assertTrue(r.err().contains("(circuitscope --help lists the commands)"), r.err());
        assertEquals("", r.out());
        r = run("render", "--help", "--nosuch");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("--nosuch"), r.err());
    }

    /** discover --help listed metrics up to prob-diff (accuracy and rank are accepted) and no scorers. */
    @Test
    void discoverHelpListsEveryMetricAndScorer() {
        CliRun r = run("discover", "--help");
        assertEquals(0, r.code());
        String help = r.out().replaceAll("\\s+", " ");
        String metric = option(help, "--metric=");
        for (Metric m : Metrics.ALL) {
            assertTrue(metric.matches(".* " + m.name() + "[, ].*"), m.name() + ": " + metric);
        }
        String scorer = option(help, "--scorer=");
        for (String key : Methods.scorerKeys()) {
            assertTrue(scorer.contains(" " + key + ","), key + ": " + scorer);
        }
    }

    /** The help of one option: from its name to the next option. */
    private static String option(String help, String name) {
        String rest = help.substring(help.lastIndexOf(name)); // the options list, after the synopsis
        return rest.substring(0, rest.indexOf(" --", name.length()));
    }
}
