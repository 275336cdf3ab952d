package io.circuitscope.discovery.analysis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.RandomTasks;
import io.circuitscope.discovery.analysis.ActivationPatching.Options;
import io.circuitscope.discovery.analysis.ActivationPatching.Site;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The analyses are a library: their refusals name a setting in words, never as a command-line option the caller
 * may not have (patch checks first and names its own options).
 */
class SettingWordingTest {
    @Test
    void refusalsNameTheSettingInWords() {
        try (LoadedModel loaded = AnalysesTest.model()) {
            HookedTransformer m = loaded.model();
            List<Example> examples = new ArrayList<>(RandomTasks.make(m, 11, 3, 5, false).examples());
            examples.add(RandomTasks.make(m, 12, 1, 6, false).examples().get(0));
            Task mixed = new Task("mixed", examples);
            assertRefused("patching by position needs prompts of one length, but in task 'mixed' example 1 has 5",
                    () -> ActivationPatching.sweep(m, mixed, Options.of(Metrics.LOGIT_DIFF, Direction.NOISE, Site.RESID,
                            true)));
            assertRefused("edge patching by position needs prompts of one length",
                    () -> PathPatching.edges(m, mixed, Metrics.LOGIT_DIFF, Direction.NOISE, Corruption.resample(), null,
                            256, true));
            Task same = RandomTasks.make(m, 11, 3, 5, false);
            assertRefused("zero ablation has no corrupted run to denoise; patch in the noising direction",
                    () -> ActivationPatching.sweep(m, same, Options.of(Metrics.LOGIT_DIFF, Direction.DENOISE, Site.RESID,
                            false).withCorruption(Corruption.zero())));
        }
    }

    private static void assertRefused(String start, org.junit.jupiter.api.function.Executable analysis) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, analysis);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertFalse(e.getMessage().contains("--"), "no command-line option: " + e.getMessage());
    }
}
