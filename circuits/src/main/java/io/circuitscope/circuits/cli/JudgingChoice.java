package io.circuitscope.circuits.cli;

import java.nio.file.Path;

/**
 * A metric or ablation that judges a circuit in validate: its value, how it reads ("metric kl", "resample
 * ablation"), the option that chooses it, whether that was given, and what circuit.json recorded (null: nothing).
 */
record JudgingChoice(String value, String text, String option, boolean given, Object recorded) {
    static JudgingChoice metric(String value, boolean given, Object recorded) {
        return new JudgingChoice(value, "metric " + value, "--metric", given, recorded);
    }

    static JudgingChoice ablation(String value, boolean given, Object recorded) {
        return new JudgingChoice(value, value + " ablation", "--ablation", given, recorded);
    }

    boolean differsFromRecord() {
        return recorded != null && !recorded.toString().equalsIgnoreCase(value);
    }

    String describe(Path file) {
        if (!given) {
            return text + (recorded != null ? " as recorded in " + file : " (the default)");
        }
        return text + " (" + option + (differsFromRecord() ? "; " + file + " recorded " + recorded : "") + ")";
    }

    /**
     * Which metric and ablation judge the circuit and where each came from, or null when circuit.json recorded
     * neither, or both were chosen as recorded. "prob-diff and resample ablation, as recorded in" was printed for
     * a --metric prob-diff the file did not record.
     */
    static String provenance(Path file, JudgingChoice metric, JudgingChoice ablation) {
        if (metric.recorded() == null && ablation.recorded() == null) {
            return null;
        }
        if (metric.given() && ablation.given() && !metric.differsFromRecord() && !ablation.differsFromRecord()) {
            return null;
        }
        if (!metric.given() && !ablation.given() && metric.recorded() != null && ablation.recorded() != null) {
            return metric.value() + " and " + ablation.text() + ", as recorded in " + file
                    + " (--metric and --ablation choose others)";
        }
        return metric.describe(file) + " and " + ablation.describe(file);
    }
}
