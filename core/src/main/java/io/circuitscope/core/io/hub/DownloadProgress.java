package io.circuitscope.core.io.hub;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar (bytes, percent, rate) redrawn with carriage returns, at most five times a second. */
final class DownloadProgress {
    private static final long REDRAW_NANOS = 200_000_000L;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long startBytes;
    private final long startNanos;
    private long lastDraw;

    DownloadProgress(PrintStream out, String label, long total, long startBytes) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.startBytes = startBytes;
        this.startNanos = System.nanoTime();
        this.lastDraw = startNanos - REDRAW_NANOS;
    }

    void update(long bytes) {
        if (out == null) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw >= REDRAW_NANOS) {
            lastDraw = now;
            out.print("\r" + line(bytes, now));
            out.flush();
        }
    }

    void finish(long bytes) {
        if (out == null) {
            return;
        }
        out.print("\r" + line(bytes, System.nanoTime()) + "\n");
        out.flush();
    }

    String line(long bytes, long now) {
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        double rate = (bytes - startBytes) / seconds;
        StringBuilder sb = new StringBuilder();
        sb.append(label).append(' ');
        if (total > 0) {
            double fraction = Math.min(1.0, (double) bytes / total);
            int filled = (int) Math.round(fraction * 20);
            sb.append('[').append("#".repeat(filled)).append(".".repeat(20 - filled)).append("] ");
            sb.append(String.format(Locale.ROOT, "%5.1f%% %s/%s", 100 * fraction, size(bytes), size(total)));
        } else {
            sb.append(size(bytes));
        }
        sb.append(' ').append(size((long) rate)).append("/s");
        if (startBytes > 0) {
            sb.append(" (resumed at ").append(size(startBytes)).append(')');
        }
        return sb.toString();
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
