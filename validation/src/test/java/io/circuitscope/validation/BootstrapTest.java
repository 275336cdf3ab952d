package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Resampling by prompt: targets of one prompt move together, so they must be drawn together. */
class BootstrapTest {
    @Test
    void withOneTargetPerPromptTheClusteredBootstrapIsTheTargetBootstrap() {
        double[] values = new Random(1).doubles(30).toArray();
        int[] ownCluster = new int[30];
        for (int i = 0; i < 30; i++) {
            ownCluster[i] = i;
        }
        Estimate plain = Bootstrap.estimate(30, idx -> Bootstrap.mean(values, idx), 500, 0.95, 7);
        Estimate clustered = Bootstrap.estimateClustered(ownCluster, idx -> Bootstrap.mean(values, idx), 500, 0.95, 7);
        assertEquals(plain, clustered);
    }

    @Test
    void fiveCopiesOfEachPromptGiveTheIntervalOfThePromptsNotANarrowerOne() {
        double[] perPrompt = new Random(2).doubles(10).toArray();
        double[] perTarget = new double[50];
        int[] prompt = new int[50];
        for (int i = 0; i < 50; i++) {
            prompt[i] = i / 5;
            perTarget[i] = perPrompt[i / 5];
        }
        Estimate ofPrompts = Bootstrap.estimate(10, idx -> Bootstrap.mean(perPrompt, idx), 1000, 0.95, 3);
        Estimate clustered = Bootstrap.estimateClustered(prompt, idx -> Bootstrap.mean(perTarget, idx), 1000, 0.95, 3);
        Estimate naive = Bootstrap.estimate(50, idx -> Bootstrap.mean(perTarget, idx), 1000, 0.95, 3);
        // the same draws: ten prompts with replacement, each prompt's five equal targets averaging to its value
        assertEquals(ofPrompts.low(), clustered.low(), 1e-12);
        assertEquals(ofPrompts.high(), clustered.high(), 1e-12);
        double clusteredWidth = clustered.high() - clustered.low();
        double naiveWidth = naive.high() - naive.low();
        assertTrue(naiveWidth * 1.5 < clusteredWidth, "treating copies as independent narrows the interval about "
                + "sqrt(5)-fold: " + naiveWidth + " vs " + clusteredWidth);
    }
}
