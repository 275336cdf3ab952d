package io.circuitscope.circuits.cli;

import io.circuitscope.validation.ValidationSettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The thresholds and sampling of a validation, shared by {@code discover} and {@code validate}. */
final class ValidationOptions {
    @Option(names = "--sufficiency", defaultValue = "" + ValidationSettings.DEFAULT_SUFFICIENCY, description = "Faithfulness needed (default: ${DEFAULT-VALUE}).")
    double sufficiency;

    @Option(names = "--necessity", defaultValue = "" + ValidationSettings.DEFAULT_NECESSITY,
            description = "Largest faithfulness allowed with the circuit corrupted (default: ${DEFAULT-VALUE}).")
    double necessity;

    @Option(names = "--minimality", defaultValue = "" + ValidationSettings.DEFAULT_MINIMALITY,
            description = "Smallest change of faithfulness, either way, when one component is removed (default: ${DEFAULT-VALUE}).")
    double minimality;

    @Option(names = "--bootstrap", defaultValue = "" + ValidationSettings.DEFAULT_BOOTSTRAP_SAMPLES, description = "Bootstrap resamples (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--completeness-samples", defaultValue = "" + ValidationSettings.DEFAULT_COMPLETENESS_SAMPLES, description = "Knock-out subsets (default: ${DEFAULT-VALUE}).")
    int completenessSamples;

    /** The settings, or a usage error naming the option whose value cannot work (checked before any work). */
    ValidationSettings settings(CommandLine.Model.CommandSpec spec, long seed) {
        requireFinite(spec, "--sufficiency", sufficiency);
        requireFinite(spec, "--necessity", necessity);
        requireFinite(spec, "--minimality", minimality);
        // faithfulness is 1 for the full model's behaviour and 0 for the corrupted model's; a threshold outside
        // gave verdicts like "sufficient: false (>= 5.00)" and an overshoot limit of 2 - 5
        if (!(sufficiency > 0 && sufficiency <= 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sufficiency must be in (0, 1], the share of "
                    + "the model's behaviour the circuit must recover, got " + sufficiency);
        }
        if (!(necessity >= 0 && necessity < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--necessity must be in [0, 1), the share of the "
                    + "behaviour allowed to remain with the circuit corrupted, got " + necessity);
        }
        if (minimality < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--minimality must be >= 0, got " + minimality);
        }
        if (bootstrap < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--bootstrap must be >= 0, got " + bootstrap);
        }
        if (completenessSamples < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--completeness-samples must be >= 0, got " + completenessSamples);
        }
        return new ValidationSettings(sufficiency, necessity, minimality, completenessSamples, bootstrap,
                ValidationSettings.DEFAULT_CONFIDENCE, seed);
    }

    private static void requireFinite(CommandLine.Model.CommandSpec spec, String option, double value) {
        if (!Double.isFinite(value)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must be a finite number, got " + value);
        }
    }
}
