package io.circuitscope.circuits.cli;

import io.circuitscope.core.task.TaskFile.AlignPadding;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * The note {@code --align --by-position} prints when rows were padded by different amounts: each pair is padded on
 * its own, so position p then names different tokens in different rows, which a position-aware circuit mixes.
 */
final class AlignPaddingNote {
    private AlignPaddingNote() {
    }

    /** The note, or null when every row was padded alike (not at all included), so positions line up. */
    static String of(List<AlignPadding> rows) {
        if (rows.stream().distinct().count() <= 1) {
            return null;
        }
        // clean-padded rows first (their corrupt padding is 0), each side by amount
        Map<AlignPadding, Integer> counts = new TreeMap<>(
                Comparator.comparingInt(AlignPadding::corrupt).thenComparingInt(AlignPadding::clean));
        int padded = 0;
        for (AlignPadding row : rows) {
            if (row.clean() > 0 || row.corrupt() > 0) {
                counts.merge(row, 1, Integer::sum);
                padded++;
            }
        }
        StringJoiner groups = new StringJoiner(", ");
        counts.forEach((padding, n) -> {
            int by = Math.max(padding.clean(), padding.corrupt());
            groups.add(String.format(Locale.ROOT, "%s by %d position%s: %d row%s",
                    padding.clean() > 0 ? "clean" : "corrupt", by, by == 1 ? "" : "s", n, n == 1 ? "" : "s"));
        });
        return String.format(Locale.ROOT, "note: --align padded %d of %d rows (%s); by position, position p names "
                + "different tokens in those rows", padded, rows.size(), groups);
    }
}
