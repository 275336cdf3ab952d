package io.circuitscope.discovery;

import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * How many important edges could a candidate budget have missed? Following AtP*'s diagnostic, a
 * random sample of the edges that were not verified is patched exactly, one at a time; those whose
 * effect reaches {@code tau} are false negatives. With k found among n sampled, the one-sided
 * Clopper-Pearson bound gives, at the stated confidence, the largest fraction of unverified edges
 * that can have such an effect. When the sample is every unverified edge, the fraction is exact.
 */
public record FalseNegativeBound(int sampled, int unverified, int found, List<String> foundEdges, double confidence,
        double upperFraction) {

    public static FalseNegativeBound estimate(TaskPatcher task, boolean[] candidates, double tau, int samples,
            double confidence, long seed) {
        return estimate(task, candidates, tau, samples, confidence, seed, Progress.NONE);
    }

    /** As above, reporting the exact patches as a stage of {@code progress}, as ACDC reports its trials. */
    public static FalseNegativeBound estimate(TaskPatcher task, boolean[] candidates, double tau, int samples,
            double confidence, long seed, Progress progress) {
        return estimate(task, candidates, tau, samples, confidence, seed, progress, null);
    }

    /** As above, the stage named {@code stage} (null: "false-negative check (...)"). */
    static FalseNegativeBound estimate(TaskPatcher task, boolean[] candidates, double tau, int samples,
            double confidence, long seed, Progress progress, String stage) {
        List<Integer> pool = new ArrayList<>();
        for (int i = 0; i < candidates.length; i++) {
            if (!candidates[i]) {
                pool.add(i);
            }
        }
        java.util.Collections.shuffle(pool, new Random(seed));
        List<Integer> chosen = pool.subList(0, Math.min(samples, pool.size()));
        List<boolean[]> masks = new ArrayList<>();
        for (int e : chosen) {
            boolean[] keep = new boolean[candidates.length];
            java.util.Arrays.fill(keep, true);
            keep[e] = false;
            masks.add(keep);
        }
        List<String> found = new ArrayList<>();
        progress.start(stage != null ? stage : "false-negative check (" + chosen.size() + " of " + pool.size()
                + " unverified edges, tau " + tau + ")", chosen.size());
        StagePasses passes = StagePasses.from(task);
        // no more masks at a time than one pass holds (and at most 32), so that progress moves with every pass
        int chunk = Math.max(1, Math.min(32, task.masksPerPass()));
        for (int start = 0; start < masks.size(); start += chunk) {
            int end = Math.min(masks.size(), start + chunk);
            double[] values = task.evaluateKeep(masks.subList(start, end));
            for (int i = start; i < end; i++) {
                double effect = values[i - start] - task.cleanValue();
                double damage = task.metric().higherIsBetter() ? -effect : effect;
                if (damage >= tau) {
                    found.add(task.graph().edges().get(chosen.get(i)).name());
                }
            }
            passes.advance(progress, end);
        }
        progress.finish();
        int n = chosen.size();
        int k = found.size();
        // every unverified edge patched: the fraction is counted, not estimated
        double upper = n == pool.size() ? (n == 0 ? 0 : (double) k / n) : upperFraction(k, n, confidence);
        return new FalseNegativeBound(n, pool.size(), k, found, confidence, upper);
    }

    /** Whether every unverified edge was patched, so that {@link #upperFraction} is the exact fraction. */
    public boolean exhaustive() {
        return sampled == unverified;
    }

    /** One-sided Clopper-Pearson upper bound on a fraction when {@code found} of {@code sampled} draws had the property. */
    public static double upperFraction(int found, int sampled, double confidence) {
        return sampled == 0 || found == sampled ? 1.0
                : new BetaDistribution(found + 1, sampled - found).inverseCumulativeProbability(confidence);
    }
}
