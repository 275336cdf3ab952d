package io.circuitscope.circuits.cli;

import io.circuitscope.core.progress.Progress;
import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr: stage, bar, done/total, forward passes and the estimated time
 * left. Redrawn at most every 200 ms; silent when quiet.
 */
final class ProgressBar implements Progress {
    private final PrintWriter err;
    private final boolean quiet;
    private String stage = "";
    private long total;
    private long started;
    private long lastDraw;
    private long done;
    private long passes;

    ProgressBar(PrintWriter err, boolean quiet) {
        this.err = err;
        this.quiet = quiet;
    }

    @Override
    public void start(String stage, long total) {
        this.stage = stage;
        this.total = total;
        this.started = System.nanoTime();
        this.lastDraw = 0;
        this.done = 0;
        this.passes = 0;
        draw(true);
    }

    @Override
    public void advance(long done, long forwardPasses) {
        this.done = done;
        this.passes = forwardPasses;
        draw(false);
    }

    @Override
    public void finish() {
        if (total > 0) {
            done = total;
        }
        draw(true);
        if (!quiet) {
            err.println();
            err.flush();
        }
    }

    private void draw(boolean force) {
        if (quiet) {
            return;
        }
        long now = System.nanoTime();
        if (!force && now - lastDraw < 200_000_000L) {
            return;
        }
        lastDraw = now;
        double elapsed = (now - started) / 1e9;
        StringBuilder line = new StringBuilder("\r").append(stage).append(' ');
        if (total > 0) {
            int width = 24;
            int filled = (int) Math.min(width, Math.round(width * (double) done / total));
            line.append('[').append("#".repeat(filled)).append(" ".repeat(width - filled)).append("] ")
                    .append(done).append('/').append(total);
            if (done > 0 && done < total) {
                line.append(String.format(", ~%.0f s left", elapsed * (total - done) / done));
            }
        }
        line.append(String.format(", %d forward passes, %.1f s", passes, elapsed));
        err.print(line);
        err.flush();
    }
}
