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

    /** A precision or recall from the comparison; an empty circuit's precision is 0 / 0, stored as NaN. */
    static String ratio(com.fasterxml.jackson.databind.JsonNode value) {
        double v = value.asDouble();
        return Double.isNaN(v) || value.asText().equals("NaN") ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
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
            Object interval, double threshold) {
        if (atEstimate != overInterval) {
            notes.add(String.format(Locale.ROOT, "note: %s is %s at the estimate but %s over the whole interval %s "
                    + "(threshold %.2f): other prompts could decide it either way", verdict, atEstimate, overInterval,
                    interval, threshold));
        }
    }
}
