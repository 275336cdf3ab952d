package io.circuitscope.circuits.run;

import io.circuitscope.core.Decimals;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.discovery.EdgeScorer;
import io.circuitscope.discovery.ExhaustivePatching;
import io.circuitscope.validation.ScoreAgreement;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Cheap scorers against exact patching on one model and task: each scorer scores, then every node and
 * the edges (all, or every scorer's top edges plus a uniform sample of the others) are patched exactly,
 * and each scorer gets its {@link ScoreAgreement} with those effects. Answers "how far can I trust EAP
 * (or AtP*, RelP, EAP-IG) on this model?" before relying on a scorer alone.
 */
public final class ScorerComparison {
    /** The scorer whose correlations the others are held against (issue #5: AtP, i.e. EAP for edges). */
    public static final String BASELINE = "eap";

    /** Seed of the bootstrap intervals of the differences from the baseline. */
    static final long GAP_SEED = 5;

    /**
     * One scorer's agreement, its cost, its correlations over the edges that matter, and how its
     * edge and node correlations differ from the baseline's with bootstrap intervals (the gaps null for
     * the baseline itself, or when it was not run). {@code ownRanking}: the scorer ranks edges or nodes by
     * its own importance rather than |score| (AtP*).
     */
    public record Entry(String scorer, ScoreAgreement agreement, Cost cost, ScoreAgreement.Gap edgeGap,
            ScoreAgreement.Gap nodeGap, ScoreAgreement.MaterialEdges material, ScoreAgreement.Gap materialGap,
            boolean ownRanking) {
        /** The seconds the scorer took. */
        public double seconds() {
            return cost.seconds();
        }
    }

    /**
     * What one scorer spent, counted as discover counts a run's ({@code summary.forward_passes} and
     * {@code gradient_passes}): forward passes without gradients, and gradient passes (a forward and a backward
     * pass each), both by the task ({@link TaskPatcher#forwardPasses}, {@link TaskPatcher#gradientPasses}).
     */
    public record Cost(long forwardPasses, long gradientPasses, double seconds) {
        /** As discover's cost line reads: "N forward passes, M gradient passes (forward and backward), S s". */
        public String line() {
            return String.format(Locale.ROOT, "%s, %s (forward and backward), %.1f s",
                    CircuitCounts.passes(forwardPasses, "forward"), CircuitCounts.passes(gradientPasses, "gradient"), seconds);
        }
    }

    /**
     * The exact ground truth and every scorer's agreement with it.
     *
     * @param exactEdges how many edges the comparison has exact effects for (all, or a uniform sample)
     * @param reusedEdges how many of those came from the store instead of being patched in this run
     * @param reusedNodes whether the node effects came from the store
     * @param exactSeconds time of exact edge and node patching in this run
     * @param topCoverage with a sample, how many unpatched edges could belong to the exact top edges; null
     *                    when every edge was patched
     * @param materialFraction the fraction of the task's effect from which an edge matters (see {@link Entry#material()})
     */
    public record Result(int edges, int exactEdges, int reusedEdges, boolean reusedNodes, int componentNodes,
            double exactSeconds, long exactPasses, List<Entry> entries, EdgeSample.Coverage topCoverage,
            double materialFraction) {
        /** Entries by scorer key, in run order. */
        public Map<String, Entry> byScorer() {
            Map<String, Entry> m = new LinkedHashMap<>();
            entries.forEach(e -> m.put(e.scorer(), e));
            return m;
        }
    }

    private ScorerComparison() {
    }

    /** Scores with each scorer, then patches every edge and node exactly (no sample, no store). */
    public static Result run(TaskPatcher tp, List<EdgeScorer> scorers, int topEdges, int topNodes, Progress progress) {
        return run(tp, scorers, topEdges, topNodes, tp.graph().nEdges(), 0, ExactEffectsStore.NONE, progress);
    }

    /**
     * Scores with each scorer, then patches every node and the edges exactly: all of them when
     * {@code sampledEdges} reaches the graph's edges, else every scorer's top {@code 2 topEdges} edges
     * (where the large effects that decide a Pearson correlation are) plus a uniform sample of
     * {@code sampledEdges} of the others, drawn with {@code seed}. A sampled edge then stands for
     * (others / sampledEdges) edges: the edge correlations are weighted so (Horvitz-Thompson) and
     * estimate those over every edge, and the exact top edges for AUC and recall are the top of the
     * patched ones, with a bound on how many unpatched edges could belong there ({@link EdgeSample.Coverage}).
     * Effects already in {@code store} are not patched again; new ones are saved as each layer finishes.
     */
    public static Result run(TaskPatcher tp, List<EdgeScorer> scorers, int topEdges, int topNodes, int sampledEdges,
            long seed, ExactEffectsStore store, Progress progress) {
        return run(tp, scorers, topEdges, topNodes, sampledEdges, seed, store, ScoreAgreement.MATERIAL_FRACTION, progress);
    }

    /**
     * {@link #run(TaskPatcher, List, int, int, int, long, ExactEffectsStore, Progress)}, with the edges that
     * matter being those whose exact effect reaches {@code materialFraction} of the task's effect.
     */
    public static Result run(TaskPatcher tp, List<EdgeScorer> scorers, int topEdges, int topNodes, int sampledEdges,
            long seed, ExactEffectsStore store, double materialFraction, Progress progress) {
        requireMaterialFraction(materialFraction, "the material fraction");
        int all = tp.graph().nEdges();
        if (sampledEdges < 1) {
            throw new IllegalArgumentException("sampled edges must be positive, got " + sampledEdges);
        }
        ExactEffectsStore.Stored stored = store.load(all); // a store that cannot serve fails before any work
        Scored scored = score(tp, scorers, progress);
        long start = System.nanoTime();
        long passes = tp.forwardPasses();
        EdgeSample sample = EdgeSample.choose(all, scored.scores().values(), 2 * topEdges, sampledEdges, seed);
        int[] chosen = sample.edges();

        double[] known = stored.edges().clone();
        int[] missing = java.util.Arrays.stream(chosen).filter(e -> Double.isNaN(known[e])).toArray();
        ExhaustivePatching exhaustive = new ExhaustivePatching(32);
        exhaustive.scoreInto(tp, missing, known, progress, () -> store.save(new ExactEffectsStore.Stored(known, stored.nodes())));
        double[] nodeEffects = stored.nodes();
        if (nodeEffects == null) {
            nodeEffects = exhaustive.nodeEffects(tp);
            store.save(new ExactEffectsStore.Stored(known, nodeEffects));
        }
        double[] inComparison = new double[all];
        java.util.Arrays.fill(inComparison, Double.NaN);
        for (int e : chosen) {
            inComparison[e] = known[e]; // stored edges this run did not choose stay out of its comparison
        }
        double exactSeconds = (System.nanoTime() - start) / 1e9;
        EdgeScores exact = new EdgeScores(tp.graph(), inComparison);
        List<Entry> entries = agreements(scored, exact, sample.everyEdge() ? null : sample.weights(), nodeEffects, topEdges,
                topNodes, materialThreshold(tp, materialFraction));
        return new Result(all, chosen.length, chosen.length - missing.length, stored.nodes() != null,
                tp.graph().nSources() - 1, exactSeconds, tp.forwardPasses() - passes, entries,
                sample.everyEdge() ? null : sample.coverage(exact, topEdges), materialFraction);
    }

    /** Each scorer's scores and what they cost. */
    record Scored(java.util.Map<String, EdgeScores> scores, java.util.Map<String, Cost> costs) {
    }

    static Scored score(TaskPatcher tp, List<EdgeScorer> scorers, Progress progress) {
        Map<String, EdgeScores> scored = new LinkedHashMap<>();
        Map<String, Cost> costs = new LinkedHashMap<>();
        for (EdgeScorer scorer : scorers) {
            if (scored.containsKey(scorer.key())) { // its row would replace the first's, yet it would be scored twice
                throw new IllegalArgumentException("scorer " + scorer.key() + " given twice");
            }
            long start = System.nanoTime();
            long forward = tp.forwardPasses();
            long gradient = tp.gradientPasses();
            scored.put(scorer.key(), scorer.score(tp, progress));
            costs.put(scorer.key(), new Cost(tp.forwardPasses() - forward, tp.gradientPasses() - gradient,
                    (System.nanoTime() - start) / 1e9));
        }
        return new Scored(scored, costs);
    }

    /** Scores with each scorer against exact effects computed elsewhere (the toy trainers compute them once). */
    public static Result compare(TaskPatcher tp, List<EdgeScorer> scorers, EdgeScores exact, double[] exactNodeEffects,
            int topEdges, int topNodes, Progress progress) {
        List<Entry> entries = agreements(score(tp, scorers, progress), exact, null, exactNodeEffects, topEdges, topNodes,
                materialThreshold(tp, ScoreAgreement.MATERIAL_FRACTION));
        int patched = (int) java.util.stream.IntStream.range(0, exact.size()).filter(i -> !Double.isNaN(exact.get(i))).count();
        return new Result(tp.graph().nEdges(), patched, 0, false, tp.graph().nSources() - 1, 0, 0, entries, null,
                ScoreAgreement.MATERIAL_FRACTION);
    }

    /** Refuses a fraction of the task's effect outside [0, 1), naming it as {@code what}. */
    public static void requireMaterialFraction(double fraction, String what) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException(what + " must be at least 0 and below 1, got " + fraction);
        }
    }

    /** The smallest exact effect of an edge that matters on this task (default fraction: {@link ScoreAgreement#MATERIAL_FRACTION}). */
    static double materialThreshold(TaskPatcher tp, double fraction) {
        return fraction * Math.abs(tp.cleanValue() - tp.corruptedValue());
    }

    private static List<Entry> agreements(Scored scored, EdgeScores exact, double[] edgeWeights, double[] exactNodeEffects,
            int topEdges, int topNodes, double materialThreshold) {
        EdgeScores baseline = scored.scores().get(BASELINE);
        EdgeScores material = ScoreAgreement.materialOnly(exact, materialThreshold);
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, EdgeScores> e : scored.scores().entrySet()) {
            boolean compared = baseline != null && !e.getKey().equals(BASELINE);
            entries.add(new Entry(e.getKey(),
                    ScoreAgreement.of(e.getValue(), exact, edgeWeights, exactNodeEffects, topEdges, topNodes),
                    scored.costs().get(e.getKey()),
                    compared ? ScoreAgreement.edgeGap(e.getValue(), baseline, exact, edgeWeights, GAP_SEED) : null,
                    compared ? ScoreAgreement.nodeGap(e.getValue(), baseline, exactNodeEffects, GAP_SEED) : null,
                    ScoreAgreement.material(e.getValue(), exact, edgeWeights, materialThreshold),
                    compared ? ScoreAgreement.edgeGap(e.getValue(), baseline, material, edgeWeights, GAP_SEED) : null,
                    e.getValue().hasOwnImportance() || e.getValue().hasOwnNodeImportance()));
        }
        return entries;
    }

    private static String signed(io.circuitscope.validation.Estimate e) {
        return Double.isNaN(e.value()) ? "n/a" : Double.isNaN(e.low()) ? signed(e.value())
                : signed(e.value()) + " [" + signed(e.low()) + ", " + signed(e.high()) + "]";
    }

    /** A difference with its sign, 3 decimals; one that rounds to zero reads "+0.000", never "-0.000". */
    private static String signed(double v) {
        return signed(v, 3);
    }

    private static String signed(double v, int digits) {
        String shown = Decimals.fixed(v, digits);
        return shown.startsWith("-") || Double.isNaN(v) ? shown : "+" + shown;
    }

    /** What was compared: "model M, task T (N examples), metric X, Y ablation", metric and ablation by their names. */
    public static String subject(String model, TaskPatcher tp) {
        return String.format(Locale.ROOT, "model %s, task %s (%d examples), metric %s, %s ablation", model,
                tp.task().name(), tp.task().size(), tp.metric().name(), tp.ablation().key());
    }

    /** A plain-text table, its caption lines, then the edge correlations over the edges that matter and each scorer's cost. */
    public static void print(PrintWriter out, Result r) {
        int width = Math.max(9, r.entries().stream().mapToInt(e -> e.scorer().length()).max().orElse(0));
        String layout = "%-" + width + "s %6s %13s %14s %13s %14s %10s %10s %10s %10s %8s%n";
        out.printf(Locale.ROOT, layout, "scorer", "AUC", "edge Pearson", "edge Spearman", "node Pearson", "node Spearman",
                "nodes@k", "nodes@2k", "edges@k", "edges@2k", "seconds");
        for (Entry e : r.entries()) {
            ScorerTableText.Row c = ScorerTableText.Row.of(e);
            out.printf(Locale.ROOT, layout, c.scorer(), c.auc(), c.edgePearson(), c.edgeSpearman(), c.nodePearson(),
                    c.nodeSpearman(), c.nodesInTopK(), c.nodesInTop2K(), c.edgesInTopK(), c.edgesInTop2K(), c.seconds());
        }
        if (!r.entries().isEmpty()) {
            ScorerTableText.captions(r).forEach(out::println);
            StringBuilder material = new StringBuilder(ScorerTableText.material(r)).append("; edge Pearson / Spearman over them:");
            for (Entry e : r.entries()) {
                material.append(String.format(Locale.ROOT, " %s %s / %s,", e.scorer(),
                        ScorerTableText.three(e.material().pearson()), ScorerTableText.three(e.material().spearman())));
            }
            material.setLength(material.length() - 1);
            out.println(material);
            for (Entry e : r.entries()) {
                out.printf(Locale.ROOT, "cost of %s: %s%n", e.scorer(), e.cost().line());
            }
        }
        out.flush();
    }

    /**
     * A markdown table, as recorded in benchmarks/RESULTS.md, with the plain table's caption lines under it after
     * {@code subject} (what was compared, {@link #subject}).
     */
    public static void printMarkdown(PrintWriter out, Result r, String subject) {
        out.println("| scorer | ROC AUC | edge Pearson | edge Spearman | node Pearson | node Spearman "
                + "| exact top nodes in top k / 2k | exact top edges in top k / 2k "
                + "| edges that matter: Pearson / Spearman | forward / gradient passes | seconds |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Entry e : r.entries()) {
            ScorerTableText.Row c = ScorerTableText.Row.of(e);
            out.println(String.join(" | ", "| " + c.scorer(), c.auc(), c.edgePearson(), c.edgeSpearman(), c.nodePearson(),
                    c.nodeSpearman(), c.nodesInTopK() + ", " + c.nodesInTop2K(), c.edgesInTopK() + ", " + c.edgesInTop2K(),
                    c.material(), c.passes(), c.seconds() + " |"));
        }
        out.println();
        out.println(subject);
        if (!r.entries().isEmpty()) {
            ScorerTableText.captions(r).forEach(out::println);
            out.println(ScorerTableText.material(r));
        }
        out.flush();
    }

    /**
     * For each scorer other than the baseline: is it at least the baseline's value on both Pearson and
     * Spearman, for edges and for nodes, and on every recall, by point value (issue #5 read strictly)? Then
     * each difference with its 95% interval and what that interval shows ({@link ScoreAgreement.Reading}).
     * Printed line by line; true when every scorer is at least the baseline by point value.
     */
    public static boolean printVersusBaseline(PrintWriter out, Result r) {
        Entry base = r.byScorer().get(BASELINE);
        if (base == null) {
            return true;
        }
        boolean all = true;
        ScoreAgreement b = base.agreement();
        for (Entry e : r.entries()) {
            if (e.scorer().equals(BASELINE)) {
                continue;
            }
            ScoreAgreement a = e.agreement();
            boolean edges = a.edgesAtLeast(b);
            boolean nodes = a.nodesAtLeast(b);
            boolean recall = a.recallAtLeast(b);
            String edgeRecall = String.format(Locale.ROOT, "edges %d, %d vs %d, %d", a.edgesInTopK(), a.edgesInTop2K(), b.edgesInTopK(),
                    b.edgesInTop2K());
            out.printf(Locale.ROOT, "%s at least %s on Pearson and Spearman (point values): edges %s (%s vs %s, %s vs %s), nodes %s "
                    + "(%s vs %s, %s vs %s); on recall %s (nodes %d, %d vs %d, %d; %s)%n",
                    e.scorer(), BASELINE, edges ? "yes" : "NO", Decimals.fixed(a.edgePearson(), 4),
                    Decimals.fixed(b.edgePearson(), 4), Decimals.fixed(a.edgeSpearman(), 4), Decimals.fixed(b.edgeSpearman(), 4),
                    nodes ? "yes" : "NO", Decimals.fixed(a.nodePearson(), 4), Decimals.fixed(b.nodePearson(), 4),
                    Decimals.fixed(a.nodeSpearman(), 4), Decimals.fixed(b.nodeSpearman(), 4), recall ? "yes" : "NO", a.nodesInTopK(), a.nodesInTop2K(), b.nodesInTopK(),
                    b.nodesInTop2K(), edgeRecall);
            if (e.edgeGap() != null) {
                out.printf(Locale.ROOT, "  %s minus %s, 95%% bootstrap intervals (edges and nodes resampled): edge Pearson %s, "
                        + "Spearman %s; node Pearson %s, Spearman %s%n", e.scorer(), BASELINE,
                        difference(e.edgeGap().pearson()), difference(e.edgeGap().spearman()),
                        difference(e.nodeGap().pearson()), difference(e.nodeGap().spearman()));
                out.printf(Locale.ROOT, "  on the %d edges that matter: edge Pearson %s, Spearman %s%n", e.material().edges(),
                        difference(e.materialGap().pearson()), difference(e.materialGap().spearman()));
            }
            all &= edges && nodes && recall;
        }
        out.flush();
        return all;
    }

    /**
     * A difference from the baseline, its interval and, beside them, what the interval shows: "+0.099 [+0.005, +0.247]
     * (better)". An interval read better or worse gets the decimals its ends need to show on their side of 0 (AtP*'s
     * edge Spearman on planted:ioi: "+0.00006 [+0.00001, +0.00010]", not "+0.000 [+0.000, +0.000] (better)").
     */
    private static String difference(io.circuitscope.validation.Estimate d) {
        if (Double.isNaN(d.value()) || Double.isNaN(d.low())) {
            return signed(d);
        }
        ScoreAgreement.Reading reading = ScoreAgreement.Reading.of(d);
        int digits = reading == ScoreAgreement.Reading.NO_DIFFERENCE_SHOWN ? 3
                : Math.max(Decimals.digitsAgainst(d.low(), 0, 3), Decimals.digitsAgainst(d.high(), 0, 3));
        return signed(d.value(), digits) + " [" + signed(d.low(), digits) + ", " + signed(d.high(), digits) + "] ("
                + reading.words() + ")";
    }
}
