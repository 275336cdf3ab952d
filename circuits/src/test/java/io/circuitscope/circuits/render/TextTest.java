package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void negativeZeroPrintsAsZero() {
        assertEquals("0.0000", Text.fmt(-0.0));
        assertEquals("-2.000e-08", Text.fmt(-2e-8));
    }

    /** Characters XML 1.0 cannot hold become U+FFFD; pairs of surrogates, tab, newline and the rest stay as they are. */
    @Test
    void charactersXmlCannotHoldAreReplaced() {
        String emoji = new String(Character.toChars(0x1F600));
        assertEquals("a\uFFFDb\uFFFD\uFFFD\uFFFDc\t\n\r" + emoji + "\u00e9\uFFFD",
                Text.clean("a\u0000b\u0001\uFFFF\uFFFEc\t\n\r" + emoji + "\u00e9" + "\uD800"));
        assertEquals("\uFFFDx", Text.clean("\uDC00x"), "a low surrogate alone");
        assertEquals("&lt;\uFFFD&amp;", Text.html("<\u0002&"));
        String plain = "no change";
        org.junit.jupiter.api.Assertions.assertSame(plain, Text.clean(plain));
    }
}
