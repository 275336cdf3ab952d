package io.circuitscope.circuits.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What makes train-toy warn that its reference circuit is not that of the task's behaviour. */
class BehaviourWarningsTest {
    @Test
    void aReversedBehaviourOrAnAccuracyBelowChanceIsWarnedAbout() {
        assertEquals(List.of(), ToyRun.behaviourWarnings(ToyTask.IOI, 0.9, 2.0, -0.1), "a learned task");
        List<String> reversed = ToyRun.behaviourWarnings(ToyTask.IOI, 0.9, -0.5, 0.2);
        assertEquals(1, reversed.size(), reversed.toString());
        assertTrue(reversed.get(0).startsWith("the behaviour is reversed: the logit difference on the clean prompts "
                + "(-0.5000) is below that on the corrupted prompts (0.2000)"), reversed.get(0));
        List<String> both = ToyRun.behaviourWarnings(ToyTask.INDUCTION, 0.001, -0.5, 0.2);
        assertEquals(2, both.size(), both.toString());
        assertTrue(both.get(1).startsWith("the task accuracy 0.001 is below chance (0.008: 1/127"), both.get(1));
        assertEquals(List.of(), ToyRun.behaviourWarnings(ToyTask.INDUCTION, 0.5, 1.0, 1.0), "equal: no reversal");
    }
}
