package io.circuitscope.circuits.run;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.discovery.FalseNegativeBound;
import java.util.Arrays;
import java.util.Collection;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Which edges a scorer comparison patches exactly when the graph is too large for all of them, and
 * what each stands for: every scorer's top edges for sure (weight 1), where the large effects that
 * decide a Pearson correlation are, and a uniform sample of the others, each standing for
 * (others / sampled) edges. Weighted so (Horvitz-Thompson), correlations over the patched edges
 * estimate those over every edge.
 *
 * @param edges the edges to patch, ascending
 * @param weights per edge of the graph: 1 for a sure edge, (others / sampled) for a drawn one, 0 if not patched
 * @param everyEdge whether every edge is patched (then the weights are all 1)
 */
public record EdgeSample(int[] edges, double[] weights, boolean everyEdge) {

    /**
     * Every edge when {@code sampled} covers all edges outside the scorers' tops anyway; else the union of
     * every scorer's top {@code topPerScorer} edges and a uniform sample of {@code sampled} of the rest.
     */
    public static EdgeSample choose(int all, Collection<EdgeScores> scorers, int topPerScorer, int sampled, long seed) {
        boolean[] sure = new boolean[all];
        for (EdgeScores s : scorers) {
            int[] order = s.ranking();
            for (int i = 0; i < Math.min(topPerScorer, order.length); i++) {
                sure[order[i]] = true;
            }
        }
        int[] rest = IntStream.range(0, all).filter(e -> !sure[e]).toArray();
        double[] weights = new double[all];
        if (sampled >= rest.length) {
            Arrays.fill(weights, 1);
            return new EdgeSample(IntStream.range(0, all).toArray(), weights, true);
        }
        boolean[] chosen = sure.clone();
        for (int e = 0; e < all; e++) {
            weights[e] = sure[e] ? 1 : 0;
        }
        for (int i : uniform(rest.length, sampled, seed)) {
            chosen[rest[i]] = true;
            weights[rest[i]] = (double) rest.length / sampled;
        }
        return new EdgeSample(IntStream.range(0, all).filter(e -> chosen[e]).toArray(), weights, false);
    }

    /** {@code k} distinct indices of {@code 0..n-1}, uniformly at random for a seed, ascending (all of them when k >= n). */
    static int[] uniform(int n, int k, long seed) {
        int[] indices = IntStream.range(0, n).toArray();
        if (k >= n) {
            return indices;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < k; i++) { // a partial Fisher-Yates shuffle: the first k are the sample, nested in k
            int j = i + random.nextInt(n - i);
            int t = indices[i];
            indices[i] = indices[j];
            indices[j] = t;
        }
        int[] sample = Arrays.copyOf(indices, k);
        Arrays.sort(sample);
        return sample;
    }

    /**
     * With a sample, the exact top edges can only be taken among the patched ones. They are the graph's
     * exact top edges unless an unpatched edge reaches the smallest |effect| among them ({@code threshold}):
     * {@code reaching} of the {@code sampled} edges drawn from outside the scorers' tops do, and by the
     * one-sided 95% Clopper-Pearson bound at most {@link #upperCount()} of the {@code unpatched} edges do.
     */
    public record Coverage(double threshold, int sampled, int reaching, int unpatched, double upperFraction) {
        public long upperCount() {
            return (long) Math.ceil(upperFraction * unpatched - 1e-9);
        }
    }

    /** How well the top {@code topEdges} of the patched edges ({@code exact}, NaN where not patched) can be trusted. */
    public Coverage coverage(EdgeScores exact, int topEdges) {
        boolean[] top = exact.topK(topEdges);
        double threshold = Double.POSITIVE_INFINITY;
        for (int e = 0; e < top.length; e++) {
            if (top[e] && exact.get(e) != 0) {
                threshold = Math.min(threshold, Math.abs(exact.get(e)));
            }
        }
        int drawn = 0;
        int reaching = 0;
        double others = 0;
        for (int e = 0; e < weights.length; e++) {
            if (weights[e] > 1) { // drawn from the edges outside every scorer's top
                drawn++;
                others = weights[e];
                reaching += Math.abs(exact.get(e)) >= threshold ? 1 : 0;
            }
        }
        int unpatched = (int) Math.round(others * drawn) - drawn;
        return new Coverage(threshold, drawn, reaching, unpatched, FalseNegativeBound.upperFraction(reaching, drawn, 0.95));
    }
}
