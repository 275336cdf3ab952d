package io.circuitscope.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DecimalsTest {
    @Test
    void valuesThatRoundToZeroHaveNoSign() {
        assertEquals("0.0000", Decimals.fixed(-0.0, 4));
        assertEquals("0.0000", Decimals.fixed(-1.9e-8, 4)); // a KL of -2e-8 printed as -0.0000
        assertEquals("-0.0001", Decimals.fixed(-0.00006, 4));
        assertEquals("0.185", Decimals.fixed(0.1852, 3));
        assertEquals("NaN", Decimals.fixed(Double.NaN, 2));
    }
}
