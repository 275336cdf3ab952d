package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.ValidationSections;
import org.junit.jupiter.api.Test;

/**
 * A comparison of a circuit that scores no edge has no CPR (null, {@code unranked}), so validate and the report say
 * nothing of how CPR ranks its scores; they said "the circuit's file records no metric for its scores, so CPR ranks
 * them as kl reads them" beside CPR n/a.
 */
class ComparisonTextTest {
    @Test
    void noWordOnHowCprRanksWhenNothingIsRanked() {
        ObjectNode cmp = new ObjectMapper().createObjectNode();
        cmp.put("metric", "kl").putNull("scores_metric");
        assertNotNull(ComparisonText.scoresMetricNote(cmp), "scores of an unrecorded metric: said how CPR ranks them");
        cmp.putNull("cpr").putNull("cmd").put("unranked", ValidationSections.UNRANKED);
        assertNull(ComparisonText.scoresMetricNote(cmp), "no scores: nothing to rank");
    }
}
