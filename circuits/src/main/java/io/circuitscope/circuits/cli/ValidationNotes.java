package io.circuitscope.circuits.cli;

import io.circuitscope.validation.ValidationReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Notes the validate and discover commands print beside the verdict. */
final class ValidationNotes {
    static final String OVERSHOOT = "note: the circuit alone does more than the full model (faithfulness well above 1): "
            + "components that work against the behaviour, such as negative heads, are probably left out";

    static final String UNSTABLE = "note: on some resamples the clean-corrupted gap nearly vanishes or flips, so the "
            + "intervals of these ratios are unreliable: the corruption's effect differs widely between prompts";

    static final String EMPTY = "note: the circuit is empty (no edge is in it): it is judged as the fully corrupted "
            + "model, and minimality has nothing to judge";

    private ValidationNotes() {
    }

    /** How many non-minimal components discover and validate name; the rest are counted, the file lists them all. */
    static final int NOT_MINIMAL_SHOWN = 3;

    /** The first {@link #NOT_MINIMAL_SHOWN} of {@code failing}: by position a circuit can have hundreds. */
    static List<ValidationReport.ComponentScore> notMinimalShown(List<ValidationReport.ComponentScore> failing) {
        return failing.subList(0, Math.min(NOT_MINIMAL_SHOWN, failing.size()));
    }

    /** "and N more (WHERE lists them)" for the ones not shown, else "". */
    static String notMinimalLeftOut(List<ValidationReport.ComponentScore> failing, String where) {
        int more = failing.size() - NOT_MINIMAL_SHOWN;
        return more > 0 ? "and " + more + " more (" + where + " lists them)" : "";
    }

    /**
     * What an EAP-IG graph file becomes when read: its circuit after EAP-IG's prune (and how many edges that
     * dropped), and, for a file of node scores only, that every ranking of its edges ties. {@code prefix} names the
     * command ("validate: ", "note: "), {@code doing} what it does with the edges ("judging", "drawing").
     */
    static void eapIgImport(java.io.PrintWriter err, String prefix, java.nio.file.Path file,
            io.circuitscope.circuits.io.CircuitDocument doc, String doing) {
        err.printf(Locale.ROOT, "%s%s is an %s file; %s its %d edges after EAP-IG's prune (%s edges dropped, as its evaluate_graph "
                + "drops them)%n", prefix, file, doc.method().get("format"), doing, doc.circuit().edgeCount(),
                doc.method().get("pruned_edges"));
        if (Boolean.TRUE.equals(doc.method().get(io.circuitscope.circuits.io.CircuitJson.NODE_SCORES_ONLY))) {
            err.printf(Locale.ROOT, "%s%s scores nodes, not edges (EAP-IG's node attribution leaves every edge score 0): its "
                    + "in_graph edges are taken as given, but any ranking of its edges (ROC AUC, CPR, CMD, top edges) is "
                    + "a tie; its nodes rank by |their score| in the file (node AUC, top nodes)%n", prefix, file);
        }
    }

    /** Notes for each verdict the estimate gives but the whole confidence interval does not (or the reverse). */
    static List<String> fragileVerdicts(ValidationReport r) {
        List<String> notes = new ArrayList<>();
        fragile(notes, "sufficient", r.sufficient(), r.sufficientOverInterval(), r.faithfulness(),
                r.settings().sufficiencyThreshold());
        fragile(notes, "necessary", r.necessary(), r.necessaryOverInterval(), r.complementFaithfulness(),
                r.settings().necessityThreshold());
        return notes;
    }

    private static void fragile(List<String> notes, String verdict, boolean atEstimate, boolean overInterval,
            io.circuitscope.validation.Estimate interval, double threshold) {
        if (atEstimate != overInterval) {
            notes.add(String.format(Locale.ROOT, "note: %s is %s at the estimate but %s over the whole interval %s "
                    + "(threshold %s): other prompts could decide it either way", verdict, atEstimate, overInterval,
                    interval.toString(threshold), io.circuitscope.core.Decimals.threshold(threshold)));
        }
    }

    /**
     * A component's minimality drop, with the decimals that keep its size on its side of the minimality threshold
     * (|drop| below it: not minimal), so "0.0100" never stands for a failing 0.00998.
     */
    static String drop(double drop, double threshold) {
        double size = Math.abs(drop);
        String shown = io.circuitscope.core.Decimals.fixedAgainst(size, threshold,
                io.circuitscope.core.Decimals.digitsAgainst(size, threshold, 4));
        return drop < 0 && !shown.matches("[0.]*") ? "-" + shown : shown;
    }
}
