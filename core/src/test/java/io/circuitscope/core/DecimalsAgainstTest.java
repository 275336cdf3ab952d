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
    void negativeZeroIsNotBelowZero() {
        assertEquals("-0.00001", Decimals.against(-1e-5, 0, 4), "failing a threshold of 0 must not read 0.0000");
        assertEquals("0.0000", Decimals.against(-0.0, 0.0, 4), "-0.0 equals 0.0: nothing to separate");
        assertEquals(4, Decimals.digitsAgainst(-0.0, 0.0, 4));
        assertEquals(5, Decimals.digitsAgainst(-1e-5, 0.0, 4));
    }

    @Test
    void aValueTooCloseForFixedDecimalsPrintsExactly() {
        assertEquals("1.0E-20", Decimals.against(1e-20, 0, 4), "not seventeen zeros that read as the threshold");
        assertEquals("-1.0E-20", Decimals.against(-1e-20, 0, 4));
        // the literal 0.8000000000000001 is Math.nextUp(0.8), whose shortest exact form is 0.8000000000000002: the
        // printed text must parse back to the value itself, not merely differ from the threshold
        double above = Math.nextUp(0.8);
        assertEquals(Double.toString(above), Decimals.against(0.8000000000000001, 0.8, 4));
        assertEquals(above, Double.parseDouble(Decimals.against(above, 0.8, 4)));
        double below = Math.nextDown(0.8);
        assertEquals(below, Double.parseDouble(Decimals.against(below, 0.8, 4)));
        assertEquals(Double.toString(below), Decimals.against(below, 0.8, 4));
        assertEquals("0.800001", Decimals.against(0.800001, 0.8, 4), "six decimals still print fixed");
        assertEquals("1.0E-20", Decimals.fixedAgainst(1e-20, 0, 17));
        assertEquals("0.8500", Decimals.fixedAgainst(0.85, 0.8, 4));
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
