package io.circuitscope.core.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mean ablation averages over the examples of one prompt length: an example alone there is refused. */
class MeanAblationGroupsTest {
    @Test
    void anExampleAloneAtItsLengthIsRefusedNamingItAndTheLengths() {
        Task t = task(20, 19, 20, 20, 18);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeanAblationGroups.of(t).requireNoSingletons("--corruption"));
        String m = e.getMessage();
        assertTrue(m.startsWith("--corruption mean averages"), m);
        assertTrue(m.contains("examples 2, 5 are alone at their length"), m);
        assertTrue(m.contains("18 tokens: 1 (example 5); 19 tokens: 1 (example 2); 20 tokens: 3 (examples 1, 3, 4)"), m);
        assertTrue(m.contains("or use --corruption resample"), m);
    }

    @Test
    void groupsOfTwoOrMoreAreAcceptedAndSmallOnesNoted() {
        MeanAblationGroups groups = MeanAblationGroups.of(task(20, 19, 20, 19, 19, 20, 20, 20, 20, 20, 20, 20));
        groups.requireNoSingletons("--ablation");
        List<String> notes = groups.smallGroupNotes("--ablation");
        assertEquals(List.of("note: --ablation mean: the mean at prompt length 19 is over only 3 examples (2, 4, 5)"),
                notes, "the 9 examples of length 20 are enough");
    }

    private static Task task(int... lengths) {
        List<Example> examples = new ArrayList<>();
        for (int length : lengths) {
            int[] ids = new int[length];
            examples.add(new Example(ids, ids, List.of(new Target(-1, 1, 2))));
        }
        return new Task("t", examples);
    }
}
