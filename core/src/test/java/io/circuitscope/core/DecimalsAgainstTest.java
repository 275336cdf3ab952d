package io.circuitscope.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * A value compared with a threshold printed as the threshold or past it: faithfulness 0.99248826 against
 * --sufficiency 0.9925 read "0.9925 ... sufficient: false (>= 0.99)". Values now take the decimals that keep them on
 * their side, and thresholds print as given.
 */
class DecimalsAgainstTest {
    @Test
    void aValueNeverPrintsOnOrAcrossItsThreshold() {
        assertEquals("0.99249", Decimals.against(0.99248826, 0.9925, 4));
        assertEquals("0.79996", Decimals.against(0.79996, 0.8, 4), "would round up onto 0.8000");
        assertEquals("0.8000004", Decimals.against(0.8000004, 0.8, 4), "a pass that would print as the threshold");
        assertEquals("0.8500", Decimals.against(0.85, 0.8, 4), "far from it: four decimals, as before");
        assertEquals("0.8000", Decimals.against(0.8, 0.8, 4), "equal: nothing to separate");
        assertEquals("0.1235", Decimals.against(0.123456, Double.NaN, 4));
    }

    @Test
    void thresholdsPrintAsGiven() {
        assertEquals("0.9925", Decimals.threshold(0.9925));
        assertEquals("0.8", Decimals.threshold(0.8));
        assertEquals("0.01", Decimals.threshold(0.01));
        assertEquals("0.0065", Decimals.threshold(0.0065));
        assertEquals("1", Decimals.threshold(1.0));
        assertEquals("0", Decimals.threshold(0.0));
    }
}
