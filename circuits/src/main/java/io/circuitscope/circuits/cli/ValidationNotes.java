package io.circuitscope.circuits.cli;

/** Notes the validate and discover commands print beside the verdict. */
final class ValidationNotes {
    static final String OVERSHOOT = "note: the circuit alone does more than the full model (faithfulness well above 1): "
            + "components that work against the behaviour, such as negative heads, are probably left out";

    private ValidationNotes() {
    }
}
