package io.circuitscope.validation;

/**
 * Thresholds and sampling of a validation, with the defaults used when the user gives none:
 * sufficiency passes when faithfulness >= 0.8; necessity passes when the model with the circuit
 * corrupted keeps at most 0.2 of the behaviour; a component is minimal when removing it changes
 * faithfulness by at least 0.01 (either way); 20 completeness subsets; 1000 bootstrap resamples for 95%
 * intervals; seed 0 for every random choice.
 */
public record ValidationSettings(double sufficiencyThreshold, double necessityThreshold, double minimalityThreshold,
        int completenessSamples, int bootstrapSamples, double confidence, long seed) {

    /** The defaults, named so that a command line's option defaults can be these constants. */
    public static final double DEFAULT_SUFFICIENCY = 0.8;
    public static final double DEFAULT_NECESSITY = 0.2;
    public static final double DEFAULT_MINIMALITY = 0.01;
    public static final int DEFAULT_COMPLETENESS_SAMPLES = 20;
    public static final int DEFAULT_BOOTSTRAP_SAMPLES = 1000;
    public static final double DEFAULT_CONFIDENCE = 0.95;

    public static ValidationSettings defaults() {
        return new ValidationSettings(DEFAULT_SUFFICIENCY, DEFAULT_NECESSITY, DEFAULT_MINIMALITY,
                DEFAULT_COMPLETENESS_SAMPLES, DEFAULT_BOOTSTRAP_SAMPLES, DEFAULT_CONFIDENCE, 0);
    }

    /** These settings with another seed for the random choices (the run's, so a run validates reproducibly). */
    public ValidationSettings withSeed(long seed) {
        return new ValidationSettings(sufficiencyThreshold, necessityThreshold, minimalityThreshold, completenessSamples,
                bootstrapSamples, confidence, seed);
    }

    public ValidationSettings {
        // faithfulness runs from 0 (the corrupted model's behaviour) to 1 (the full model's)
        if (!(sufficiencyThreshold > 0 && sufficiencyThreshold <= 1)) {
            throw new IllegalArgumentException("the sufficiency threshold must be in (0, 1], got " + sufficiencyThreshold);
        }
        if (!(necessityThreshold >= 0 && necessityThreshold < 1)) {
            throw new IllegalArgumentException("the necessity threshold must be in [0, 1), got " + necessityThreshold);
        }
        if (!(minimalityThreshold >= 0)) {
            throw new IllegalArgumentException("the minimality threshold must be >= 0, got " + minimalityThreshold);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        if (bootstrapSamples < 0 || completenessSamples < 0) {
            throw new IllegalArgumentException("sample counts must be >= 0");
        }
    }
}
