package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.run.CircuitCounts;
import io.circuitscope.core.progress.Progress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress on stderr: stage, bar, done/total, forward passes (and gradient passes, where the stage
 * runs any: a forward and a backward pass over a batch each) and the estimated time left. On a
 * terminal one line is redrawn in place at most every 200 ms. When stderr goes to a file or a pipe
 * (an overnight batch's log) redrawing would pile up carriage returns, so it writes plain lines
 * instead: one every 30 s while a stage runs and one when it ends. Silent when quiet.
 */
final class ProgressBar implements Progress {
    static final long REDRAW_NANOS = 200_000_000L;
    static final long LOG_LINE_NANOS = 30_000_000_000L;
    /** The commands' clock; a test replaces it to make a short run's stages look long. */
    static LongSupplier commandClock = System::nanoTime;

    private final PrintWriter err;
    private final boolean quiet;
    private final boolean redraw;
    private final LongSupplier clock;
    private String stage = "";
    private long total;
    private long started;
    private long lastDraw;
    private long done;
    private long passes;
    private long gradientPasses;
    private int lastWidth;

    ProgressBar(PrintWriter err, boolean quiet) {
        this(err, quiet, stderrIsTerminal(), commandClock);
    }

    /** @param redraw redraw one line in place (a terminal) rather than write whole lines (a log) */
    ProgressBar(PrintWriter err, boolean quiet, boolean redraw, LongSupplier clock) {
        this.err = err;
        this.quiet = quiet;
        this.redraw = redraw;
        this.clock = clock;
    }

    /**
     * Whether stderr is a terminal: {@code -Dcircuitscope.progress=bar} or {@code lines} decides;
     * otherwise, on Linux, where file descriptor 2 points; elsewhere whether the JVM has a console.
     */
    static boolean stderrIsTerminal() {
        String forced = System.getProperty("circuitscope.progress", "");
        if (forced.equals("bar") || forced.equals("lines")) {
            return forced.equals("bar");
        }
        Path fd2 = Path.of("/proc/self/fd/2");
        if (Files.exists(fd2, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (IOException | UnsupportedOperationException e) {
                return false;
            }
        }
        return System.console() != null;
    }

    @Override
    public void start(String stage, long total) {
        this.stage = stage;
        this.total = total;
        this.started = clock.getAsLong();
        this.lastDraw = started;
        this.done = 0;
        this.passes = 0;
        this.gradientPasses = 0;
        if (redraw) {
            draw();
        }
    }

    @Override
    public void advance(long done, long forwardPasses) {
        advance(done, forwardPasses, gradientPasses);
    }

    @Override
    public void advance(long done, long forwardPasses, long gradientPasses) {
        this.done = done;
        this.passes = forwardPasses;
        this.gradientPasses = gradientPasses;
        // a log's line for a finished stage is finish()'s: written here too, a stage whose last advance came
        // 30 s after the previous line (EAP-IG's one advance, validation's last step) ended on the same line twice
        boolean finished = total > 0 && done >= total;
        if (redraw ? clock.getAsLong() - lastDraw >= REDRAW_NANOS
                : !finished && clock.getAsLong() - lastDraw >= LOG_LINE_NANOS) {
            draw();
        }
    }

    @Override
    public void finish() {
        if (total > 0) {
            done = total;
        }
        draw();
        if (!quiet && redraw) {
            lastWidth = 0;
            err.println();
            err.flush();
        }
    }

    private void draw() {
        if (quiet) {
            return;
        }
        long now = clock.getAsLong();
        lastDraw = now;
        double elapsed = (now - started) / 1e9;
        StringBuilder line = new StringBuilder(redraw ? "\r" : "").append(stage).append(' ');
        if (total > 0) {
            int width = 24;
            int filled = (int) Math.min(width, Math.round(width * (double) done / total));
            line.append('[').append("#".repeat(filled)).append(" ".repeat(width - filled)).append("] ")
                    .append(done).append('/').append(total);
            if (done > 0 && done < total) {
                line.append(String.format(Locale.ROOT, ", ~%.0f s left", elapsed * (total - done) / done));
            }
        }
        line.append(", ").append(CircuitCounts.passes(passes, "forward"));
        if (gradientPasses > 0) {
            line.append(", ").append(CircuitCounts.passes(gradientPasses, "gradient"));
        }
        line.append(String.format(Locale.ROOT, ", %.1f s", elapsed));
        if (redraw) {
            int width = line.length();
            line.append(" ".repeat(Math.max(0, lastWidth - width))); // wipe what a longer line left
            lastWidth = width;
            err.print(line);
        } else {
            err.println(line);
        }
        err.flush();
    }
}
