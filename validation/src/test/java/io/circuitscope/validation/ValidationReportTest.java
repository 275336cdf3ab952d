package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Verdicts at the estimate against verdicts over the whole confidence interval. */
class ValidationReportTest {
    private static ValidationReport report(Estimate faithfulness, Estimate complement) {
        ValidationSettings s = ValidationSettings.defaults(); // sufficiency >= 0.8, necessity <= 0.2
        return new ValidationReport(1, 0, Estimate.point(1), faithfulness, complement,
                faithfulness.value() >= s.sufficiencyThreshold(), complement.value() <= s.necessityThreshold(), List.of(),
                Estimate.point(0), 0, s, 4);
    }

    @Test
    void aVerdictTheIntervalStraddlesHoldsAtTheEstimateOnly() {
        ValidationReport r = report(new Estimate(0.85, 0.75, 0.95), new Estimate(0.1, 0.05, 0.3));
        assertTrue(r.sufficient());
        assertFalse(r.sufficientOverInterval(), "the interval's lower end 0.75 is below 0.8");
        assertTrue(r.necessary());
        assertFalse(r.necessaryOverInterval(), "the interval's upper end 0.3 is above 0.2");
    }

    @Test
    void aVerdictTheWholeIntervalSupportsHoldsOverIt() {
        ValidationReport r = report(new Estimate(0.9, 0.8, 0.97), new Estimate(0.1, 0.0, 0.2));
        assertTrue(r.sufficientOverInterval());
        assertTrue(r.necessaryOverInterval());
        ValidationReport failing = report(new Estimate(0.5, 0.4, 0.6), new Estimate(0.5, 0.4, 0.6));
        assertFalse(failing.sufficientOverInterval());
        assertFalse(failing.necessaryOverInterval());
    }

    @Test
    void withoutAnIntervalTheEstimateDecides() {
        ValidationReport r = report(Estimate.point(0.85), Estimate.point(0.1));
        assertTrue(r.sufficientOverInterval());
        assertTrue(r.necessaryOverInterval());
        ValidationReport low = report(Estimate.point(0.7), Estimate.point(0.3));
        assertFalse(low.sufficientOverInterval());
        assertFalse(low.necessaryOverInterval());
    }
}
