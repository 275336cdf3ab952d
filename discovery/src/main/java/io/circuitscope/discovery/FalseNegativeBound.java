package io.circuitscope.discovery;

import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.PrefixedEvaluation;
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
 *
 * <p>A patch of an edge into layer l changes nothing below l: when the patches do not fit one pass's memory budget
 * (large models: GPT-2 small takes one a pass), the patches of one layer run from one shared clean pass up to l, as
 * ACDC's trials and validation's minimality do ({@link PrefixedEvaluation}); that prefix is a forward pass per layer
 * and batch, counted with the others, and saves the layers below l of every patch. When they fit (small models, such
 * as the default planted run), full passes of up to {@link PrefixedEvaluation#MASKS_PER_PASS} patches are kept.
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
        return estimate(task, candidates, tau, samples, confidence, seed, progress, stage, true);
    }

    /**
     * As above; {@code sharePrefixes} false runs every patch in full patched passes even when the patches do not
     * fit one pass's budget (the same values up to float rounding; for cost comparisons).
     */
    public static FalseNegativeBound estimate(TaskPatcher task, boolean[] candidates, double tau, int samples,
            double confidence, long seed, Progress progress, String stage, boolean sharePrefixes) {
        List<Integer> pool = unverified(candidates, seed);
        List<Integer> chosen = pool.subList(0, Math.min(samples, pool.size()));
        List<Edge> edges = task.graph().edges();
        boolean[] all = new boolean[candidates.length];
        java.util.Arrays.fill(all, true);
        // patching e changes nothing below its destination's layer: the masks of one layer can share the clean
        // pass up to it (PrefixedEvaluation, when they do not fit one pass's budget)
        int[] layer = chosen.stream().mapToInt(e -> PrefixedEvaluation.firstLayer(edges.get(e))).toArray();
        progress.start(stage != null ? stage : "false-negative check (" + chosen.size() + " of " + pool.size()
                + " unverified edges, tau " + tau + ")", chosen.size());
        StagePasses passes = StagePasses.from(task);
        // masks made a chunk (at most one pass) at a time, and progress moves with every chunk
        double[] values = PrefixedEvaluation.evaluate(task, all, layer, i -> {
            boolean[] keep = all.clone();
            keep[chosen.get(i)] = false;
            return keep;
        }, sharePrefixes, done -> passes.advance(progress, done));
        List<String> found = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            double effect = values[i] - task.cleanValue();
            double damage = task.metric().higherIsBetter() ? -effect : effect;
            if (damage >= tau) {
                found.add(edges.get(chosen.get(i)).name());
            }
        }
        progress.finish();
        int n = chosen.size();
        int k = found.size();
        // every unverified edge patched: the fraction is counted, not estimated
        double upper = n == pool.size() ? (n == 0 ? 0 : (double) k / n) : upperFraction(k, n, confidence);
        return new FalseNegativeBound(n, pool.size(), k, found, confidence, upper);
    }

    /** The edges that are not candidates, in the seeded random order whose first {@code samples} are patched. */
    static List<Integer> unverified(boolean[] candidates, long seed) {
        List<Integer> pool = new ArrayList<>();
        for (int i = 0; i < candidates.length; i++) {
            if (!candidates[i]) {
                pool.add(i);
            }
        }
        java.util.Collections.shuffle(pool, new Random(seed));
        return pool;
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
