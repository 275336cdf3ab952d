package io.circuitscope.circuits.cli;

import io.circuitscope.validation.ValidationSettings;
import picocli.CommandLine.Option;

/** The thresholds and sampling of a validation, shared by {@code discover} and {@code validate}. */
final class ValidationOptions {
    @Option(names = "--sufficiency", defaultValue = "0.8", description = "Faithfulness needed (default: ${DEFAULT-VALUE}).")
    double sufficiency;

    @Option(names = "--necessity", defaultValue = "0.2",
            description = "Largest faithfulness allowed with the circuit corrupted (default: ${DEFAULT-VALUE}).")
    double necessity;

    @Option(names = "--minimality", defaultValue = "0.01",
            description = "Smallest change of faithfulness, either way, when one component is removed (default: ${DEFAULT-VALUE}).")
    double minimality;

    @Option(names = "--bootstrap", defaultValue = "1000", description = "Bootstrap resamples (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--completeness-samples", defaultValue = "20", description = "Knock-out subsets (default: ${DEFAULT-VALUE}).")
    int completenessSamples;

    ValidationSettings settings(long seed) {
        return new ValidationSettings(sufficiency, necessity, minimality, completenessSamples, bootstrap, 0.95, seed);
    }
}
