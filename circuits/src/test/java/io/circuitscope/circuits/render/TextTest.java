package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void negativeZeroPrintsAsZero() {
        assertEquals("0.0000", Text.fmt(-0.0));
        assertEquals("-2.000e-08", Text.fmt(-2e-8));
    }
}
