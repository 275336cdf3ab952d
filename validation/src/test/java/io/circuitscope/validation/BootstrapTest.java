package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Resampling by prompt: targets of one prompt move together, so they must be drawn together. */
class BootstrapTest {
    /**
     * Accuracy on four prompts: two the model gets right clean and wrong corrupted, two it gets wrong both ways, and a
     * circuit right on all four. A resample of only the last two has no clean-corrupted gap (1 in 16 draws); its
     * faithfulness, 2 / 0, was +Infinity and made the interval's upper end infinite. It is undefined and left out.
     */
    @Test
    void aResampleWithoutAGapHasNoFaithfulnessRatherThanAnInfiniteOne() {
        double[] full = {1, 1, 0, 0};
        double[] empty = {0, 0, 0, 0};
        double[] circuit = {1, 1, 1, 1};
        Estimate f = Bootstrap.estimateClustered(new int[] {0, 1, 2, 3},
                idx -> CircuitValidator.normalized(circuit, full, empty, idx), 1000, 0.95, 1);
        assertEquals(2.0, f.value(), 1e-12);
        assertTrue(Double.isFinite(f.low()) && Double.isFinite(f.high()), f.toString());
        assertTrue(f.high() <= 4.0 + 1e-12, "one right of four clean gives 4, the largest defined value: " + f);
    }

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

    /**
     * The statistic sees the identity sample first and then every resample, so recording what it returns gives the
     * bootstrap distribution independently: a 95% percentile interval leaves 2.5% of it below and 2.5% above.
     */
    @Test
    void theNinetyFivePercentIntervalCutsTwoAndAHalfPercentOffEachTail() {
        double[] values = new Random(4).doubles(40).toArray();
        java.util.List<Double> seen = new java.util.ArrayList<>();
        int resamples = 2000;
        Estimate e = Bootstrap.estimate(40, idx -> {
            double m = Bootstrap.mean(values, idx);
            seen.add(m);
            return m;
        }, resamples, 0.95, 5);
        assertEquals(resamples + 1, seen.size());
        assertEquals(Bootstrap.mean(values, java.util.stream.IntStream.range(0, 40).toArray()), e.value(), 1e-15);
        assertEquals(seen.get(0), e.value());
        long below = seen.subList(1, seen.size()).stream().filter(v -> v < e.low()).count();
        long above = seen.subList(1, seen.size()).stream().filter(v -> v > e.high()).count();
        assertEquals(0.025 * resamples, below, 1.0);
        assertEquals(0.025 * resamples, above, 1.0);
    }

    /** A stratified resample draws, within each stratum, as many indices as that stratum holds. */
    @Test
    void stratifiedResamplesKeepEveryStratumsSize() {
        int[] stratumOf = new int[20];
        for (int i = 0; i < 20; i++) {
            stratumOf[i] = i % 7 == 0 ? 9 : i % 3 == 0 ? 2 : 5; // uneven, interleaved and not numbered from 0
        }
        java.util.Map<Integer, Integer> sizes = new java.util.HashMap<>();
        for (int s : stratumOf) {
            sizes.merge(s, 1, Integer::sum);
        }
        double[] values = new Random(6).doubles(20).toArray();
        java.util.List<int[]> samples = new java.util.ArrayList<>();
        Bootstrap.estimateStratified(stratumOf, idx -> {
            samples.add(idx.clone());
            return Bootstrap.mean(values, idx);
        }, 300, 0.95, 8);
        assertEquals(301, samples.size());
        for (int[] sample : samples.subList(1, samples.size())) {
            java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
            for (int i : sample) {
                counts.merge(stratumOf[i], 1, Integer::sum);
            }
            assertEquals(sizes, counts);
        }
    }

    /** Resamples where the statistic is undefined give no evidence; with most of them undefined there is no interval. */
    @Test
    void mostlyUndefinedResamplesGiveAPointAndAFewAreLeftOut() {
        double[] values = new Random(9).doubles(10).toArray();
        // NaN on a resample whose first draw is below `cut` (a share cut/10 of resamples); the identity sample is defined
        java.util.function.IntFunction<java.util.function.ToDoubleFunction<int[]>> stat = cut -> idx ->
                idx[0] < cut && !java.util.Arrays.equals(idx, java.util.stream.IntStream.range(0, 10).toArray())
                        ? Double.NaN : Bootstrap.mean(values, idx);
        Estimate mostlyNaN = Bootstrap.estimate(10, stat.apply(7), 1000, 0.95, 2);
        assertTrue(Double.isNaN(mostlyNaN.low()) && Double.isNaN(mostlyNaN.high()), mostlyNaN.toString());
        assertEquals(Bootstrap.mean(values, java.util.stream.IntStream.range(0, 10).toArray()), mostlyNaN.value(), 1e-15);
        Estimate fewNaN = Bootstrap.estimate(10, stat.apply(3), 1000, 0.95, 2);
        assertTrue(fewNaN.low() < fewNaN.value() && fewNaN.value() < fewNaN.high(), fewNaN.toString());
    }
}
