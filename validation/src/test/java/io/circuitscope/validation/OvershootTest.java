package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** When a circuit's faithfulness counts as "well above 1". */
class OvershootTest {

    private static ValidationReport withFaithfulness(double faithfulness, double sufficiency) {
        ValidationSettings settings = new ValidationSettings(sufficiency, 0.2, 0.01, 5, 50, 0.95, 3);
        return new ValidationReport(1, 0, Estimate.point(1), Estimate.point(faithfulness), Estimate.point(0),
                faithfulness >= sufficiency, true, List.of(), Estimate.point(0), 0, settings, 0);
    }

    @Test
    void theMarginMirrorsTheSufficiencyThreshold() {
        assertFalse(withFaithfulness(1.19, 0.8).overshoots());
        assertTrue(withFaithfulness(1.21, 0.8).overshoots());
    }

    @Test
    void aWholeModelCircuitUnderSufficiencyOneIsNotFlaggedForRounding() {
        // the full model reproduces itself up to float rounding; it flagged 1.000001 as "well above 1"
        assertFalse(withFaithfulness(1.000001, 1.0).overshoots());
        assertFalse(withFaithfulness(1.009, 0.995).overshoots());
        assertTrue(withFaithfulness(1.02, 1.0).overshoots());
    }
}
