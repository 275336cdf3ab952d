package io.circuitscope.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GradientRulesTest {

    @Test
    void everySetOfRulesSurvivesItsNames() {
        Set<String> names = new HashSet<>();
        for (int bits = 0; bits < 16; bits++) {
            GradientRules rules = new GradientRules((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0);
            assertEquals(rules, GradientRules.parse(rules.names()), rules.names());
            names.add(rules.names());
        }
        assertEquals(16, names.size());
        assertEquals("none", GradientRules.EXACT.names());
        assertEquals("ln+identity+half", GradientRules.relevance(false).names());
        assertEquals(GradientRules.relevance(true), GradientRules.parse("ah+half+identity+ln"), "order does not matter");
    }

    @Test
    void anUnknownOrRepeatedRuleIsRefusedByName() {
        assertEquals("unknown LRP rule 'lnn' in 'lnn+half' (known: ln, identity, half, ah, joined by '+', or 'none')",
                assertThrows(IllegalArgumentException.class, () -> GradientRules.parse("lnn+half")).getMessage());
        assertEquals("LRP rule 'ln' is named twice in 'ln+ln'",
                assertThrows(IllegalArgumentException.class, () -> GradientRules.parse("ln+ln")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> GradientRules.parse(""));
        assertThrows(IllegalArgumentException.class, () -> GradientRules.parse("ln+"));
    }
}
