package io.circuitscope.circuits.cli;

/** Notes the validate and discover commands print beside the verdict. */
final class ValidationNotes {
    static final String OVERSHOOT = "note: the circuit alone does more than the full model (faithfulness well above 1): "
            + "components that work against the behaviour, such as negative heads, are probably left out";

    static final String UNSTABLE = "note: on some resamples the clean-corrupted gap nearly vanishes or flips, so the "
            + "intervals of these ratios are unreliable: the corruption's effect differs widely between prompts";

    private ValidationNotes() {
    }
}
