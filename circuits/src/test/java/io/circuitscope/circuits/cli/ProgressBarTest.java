package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final StringWriter text = new StringWriter();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private ProgressBar bar(boolean redraw) {
        return new ProgressBar(new PrintWriter(text), false, redraw, now::get);
    }

    /** Ten minutes of advances every 100 ms, as an overnight batch's log receives them. */
    private void runTenMinutes(ProgressBar progress) {
        progress.start("ACDC verification", 6000);
        for (int i = 1; i <= 6000; i++) {
            now.addAndGet(100_000_000L);
            progress.advance(i, 2L * i);
        }
        progress.finish();
    }

    @Test
    void aLogGetsWholeLinesEveryThirtySecondsAndOneAtTheEnd() {
        runTenMinutes(bar(false));
        String log = text.toString();
        assertFalse(log.contains("\r"), "no carriage returns in a log");
        List<String> lines = log.lines().toList();
        // 30 s to 570 s, then the end's (the last advance, at 600 s, leaves it to finish: it was written twice)
        assertEquals(600 / 30, lines.size(), log);
        assertTrue(lines.get(0).startsWith("ACDC verification [#"), lines.get(0));
        assertTrue(lines.get(0).contains("300/6000, ~570 s left, 600 forward passes, 30.0 s"), lines.get(0));
        assertTrue(lines.get(lines.size() - 1).endsWith("6000/6000, 12000 forward passes, 600.0 s"), lines.get(lines.size() - 1));
    }

    @Test
    void aTerminalGetsOneLineRedrawnInPlaceAtMostFiveTimesASecond() {
        runTenMinutes(bar(true));
        String screen = text.toString();
        assertEquals(1, screen.chars().filter(c -> c == '\n').count(), "one line, ended when the stage ends");
        assertTrue(screen.endsWith(System.lineSeparator()));
        long redraws = screen.chars().filter(c -> c == '\r').count();
        assertEquals(1 + 3000 + 1, redraws, "start, every other 100 ms advance, finish");
    }

    @Test
    void aShorterRedrawWipesTheRestOfTheLongerOne() {
        ProgressBar progress = bar(true);
        progress.start("scoring", 10);
        now.addAndGet(300_000_000L);
        progress.advance(5, 1);
        now.addAndGet(300_000_000L);
        progress.finish();
        String[] draws = text.toString().split("\r");
        String withEstimate = draws[2];
        String last = draws[3].stripTrailing();
        assertTrue(withEstimate.contains("s left"), withEstimate);
        assertTrue(draws[3].replace(System.lineSeparator(), "").length() >= withEstimate.length(),
                "the final draw covers the longer one before it: " + List.of(draws));
        assertTrue(last.endsWith("10/10, 1 forward pass, 0.6 s"), last);
    }

    /** A gradient scorer's stage shows its gradient passes (it used to show "0 forward passes" alone). */
    @Test
    void aStageWithGradientPassesShowsThem() {
        ProgressBar progress = bar(false);
        progress.start("scoring edges (eap-ig, 5 steps)", 2);
        now.addAndGet(300_000_000L);
        progress.advance(2, 0, 2);
        progress.finish();
        progress.start("ACDC verification (tau 0.01)", 4);
        progress.advance(4, 7);
        progress.finish();
        List<String> lines = text.toString().lines().toList();
        assertTrue(lines.get(0).endsWith("2/2, 0 forward passes, 2 gradient passes, 0.3 s"), lines.get(0));
        assertTrue(lines.get(1).endsWith("4/4, 7 forward passes, 0.0 s"), lines.get(1));
    }

    /**
     * A discover run whose every stage looks long (each clock reading 31 s after the last) writes each stage's
     * end line once: EAP-IG's one advance and validation's last came 30 s after the previous line, which wrote
     * the end then and finish() again.
     */
    @Test
    void aLogEndsEachStageOfADiscoverRunOnOneLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String before = System.getProperty("circuitscope.progress");
        java.util.function.LongSupplier clock = ProgressBar.commandClock;
        try {
            System.setProperty("circuitscope.progress", "lines");
            ProgressBar.commandClock = () -> now.addAndGet(31_000_000_000L);
            CliRun r = CliRun.run("discover", "--model", "planted:ioi", "--examples", "8", "--candidates", "20",
                    "--no-render", "--out", dir.resolve("run").toString());
            assertEquals(0, r.code(), r.err());
            List<String> stages = List.of("scoring edges (eap-ig, 5 steps) [", "ACDC verification (tau 0.01) [",
                    "false-negative check", "validating the circuit [");
            for (String stage : stages) {
                List<String> lines = r.err().lines().filter(l -> l.startsWith(stage)).toList();
                assertFalse(lines.isEmpty(), stage + " wrote no line:\n" + r.err());
                long ends = lines.stream().filter(l -> l.matches(".*\\] (\\d+)/\\1, .*")).count();
                assertEquals(1, ends, stage + " ends once:\n" + r.err());
                assertTrue(lines.get(lines.size() - 1).matches(".*\\] (\\d+)/\\1, .*"), "and last: " + lines);
            }
            assertTrue(r.err().lines().filter(l -> l.startsWith(stages.get(1))).count() > 1,
                    "the lines every 30 s are still written:\n" + r.err());
        } finally {
            ProgressBar.commandClock = clock;
            if (before == null) {
                System.clearProperty("circuitscope.progress");
            } else {
                System.setProperty("circuitscope.progress", before);
            }
        }
    }

    @Test
    void quietWritesNothing() {
        ProgressBar progress = new ProgressBar(new PrintWriter(text), true, false, now::get);
        progress.start("scoring", 10);
        now.addAndGet(60_000_000_000L);
        progress.advance(5, 1);
        progress.finish();
        assertEquals("", text.toString());
    }

    @Test
    void theTerminalCanBeForcedEitherWay() {
        String before = System.getProperty("circuitscope.progress");
        try {
            System.setProperty("circuitscope.progress", "bar");
            assertTrue(ProgressBar.stderrIsTerminal());
            System.setProperty("circuitscope.progress", "lines");
            assertFalse(ProgressBar.stderrIsTerminal());
        } finally {
            if (before == null) {
                System.clearProperty("circuitscope.progress");
            } else {
                System.setProperty("circuitscope.progress", before);
            }
        }
    }
}
