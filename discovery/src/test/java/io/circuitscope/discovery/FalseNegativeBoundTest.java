package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The Clopper-Pearson bound checked against the binomial distribution it inverts, computed here by summing terms. */
class FalseNegativeBoundTest {
    @Test
    void noneFoundInTenGivesTheRuleOfThreeBound() {
        // with k = 0 the bound solves (1 - p)^n = 1 - confidence: 1 - 0.05^(1/10) = 0.2589
        assertEquals(1 - Math.pow(0.05, 0.1), FalseNegativeBound.upperFraction(0, 10, 0.95), 1e-9);
        assertEquals(0.2589, FalseNegativeBound.upperFraction(0, 10, 0.95), 1e-4);
        assertEquals(1 - Math.pow(0.01, 1.0 / 50), FalseNegativeBound.upperFraction(0, 50, 0.99), 1e-9);
    }

    @Test
    void nothingSampledOrEverythingFoundBoundsNothing() {
        assertEquals(1.0, FalseNegativeBound.upperFraction(0, 0, 0.95));
        assertEquals(1.0, FalseNegativeBound.upperFraction(7, 7, 0.95));
    }

    /** The upper bound p is where seeing at most k of n becomes as unlikely as 1 - confidence: P(X <= k; n, p). */
    @Property(tries = 100)
    void theBoundIsWhereAtMostKFoundHasProbabilityOneMinusConfidence(@ForAll @IntRange(min = 1, max = 60) int n,
            @ForAll @IntRange(min = 0, max = 59) int anyK, @ForAll @IntRange(min = 80, max = 99) int percent) {
        int k = anyK % n; // found < sampled: the bound is a Beta quantile, not 1
        double confidence = percent / 100.0;
        double p = FalseNegativeBound.upperFraction(k, n, confidence);
        assertEquals(1 - confidence, binomialCdf(k, n, p), 1e-7, "k " + k + " of " + n + " bound " + p);
        // and it lies above the observed fraction
        org.junit.jupiter.api.Assertions.assertTrue(p > (double) k / n);
    }

    private static double binomialCdf(int k, int n, double p) {
        double sum = 0;
        for (int i = 0; i <= k; i++) {
            double logTerm = logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p);
            sum += Math.exp(logTerm);
        }
        return sum;
    }

    private static double logChoose(int n, int i) {
        double s = 0;
        for (int j = 1; j <= i; j++) {
            s += Math.log(n - i + j) - Math.log(j);
        }
        return s;
    }

    /**
     * On KL (lower is better) an edge is a false negative when patching it alone raises KL by tau or more. A census
     * counts them exactly; a sample of 12 finds only such edges and reports the Clopper-Pearson bound, not its share.
     */
    @Test
    void onKlTheCensusCountsAndTheSampleBoundsTheEdgesWhosePatchRaisesKlByTau() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(61, 2, 2, 4, 23, 8, false))) {
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()),
                    RandomTasks.make(loaded.model(), 9, 3, 5, false), Metrics.KL, Ablation.RESAMPLE, 8)) {
                EdgeScores exact = new ExhaustivePatching(64).score(tp, Progress.NONE);
                boolean[] candidates = exact.topK(1);
                // tau midway between the middle two effects of the other edges: about half reach it, none ties with it
                double[] sorted = java.util.stream.IntStream.range(0, exact.size()).filter(e -> !candidates[e])
                        .mapToDouble(exact::get).sorted().toArray();
                double tau = (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
                org.junit.jupiter.api.Assertions.assertTrue(sorted[sorted.length / 2] - sorted[sorted.length / 2 - 1] > 1e-5);
                Set<String> missed = new HashSet<>();
                for (int e = 0; e < exact.size(); e++) {
                    if (!candidates[e] && exact.get(e) >= tau) {
                        missed.add(tp.graph().edges().get(e).name());
                    }
                }
                FalseNegativeBound census = FalseNegativeBound.estimate(tp, candidates, tau, 1000, 0.95, 1);
                assertEquals(true, census.exhaustive());
                assertEquals(missed, new HashSet<>(census.foundEdges()));
                assertEquals((double) missed.size() / (exact.size() - 1), census.upperFraction(), 1e-12);

                FalseNegativeBound sample = FalseNegativeBound.estimate(tp, candidates, tau, 12, 0.95, 1);
                assertEquals(12, sample.sampled());
                assertEquals(exact.size() - 1, sample.unverified());
                assertEquals(false, sample.exhaustive());
                org.junit.jupiter.api.Assertions.assertTrue(missed.containsAll(sample.foundEdges()), sample.toString());
                org.junit.jupiter.api.Assertions.assertTrue(sample.found() > 0 && sample.found() < 12, sample.toString());
                assertEquals(FalseNegativeBound.upperFraction(sample.found(), 12, 0.95), sample.upperFraction(), 1e-12);
            }
        }
    }

    /**
     * The check's exact patches are a progress stage of their own, as ACDC's trials are: the default discover run's
     * 50 patches used to run with no bar at all, after the ACDC bar had finished.
     */
    @Test
    void theCheckReportsItsPatchesAsAProgressStage() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(61, 2, 2, 4, 23, 8, false))) {
            io.circuitscope.core.task.Task task = RandomTasks.make(loaded.model(), 9, 3, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 2, 1)) { // one mask per pass: a report per pass
                GradientPassCountTest.Recorded progress = new GradientPassCountTest.Recorded();
                long[] lastDone = {0};
                java.util.List<Long> dones = new java.util.ArrayList<>();
                Progress watching = new Progress() {
                    @Override
                    public void start(String stage, long total) {
                        progress.start(stage + " / " + total, total);
                    }

                    @Override
                    public void advance(long done, long forwardPasses) {
                        advance(done, forwardPasses, 0);
                    }

                    @Override
                    public void advance(long done, long forwardPasses, long gradientPasses) {
                        lastDone[0] = done;
                        dones.add(done);
                        progress.advance(done, forwardPasses, gradientPasses);
                    }

                    @Override
                    public void finish() {
                    }
                };
                Pipeline.Result r = new Pipeline(new Eap(), new CandidateBudget.TopK(5), new Acdc(0.01))
                        .withFalseNegativeCheck(12, 3).run(tp, watching);
                int stages = progress.stages.size();
                String stage = progress.stages.get(stages - 1);
                int unverified = tp.graph().nEdges() - 5;
                assertEquals("false-negative check (12 of " + unverified + " unverified edges, tau 0.01) / 12", stage);
                assertEquals(12, r.bound().sampled());
                assertEquals(12, lastDone[0]);
                assertEquals(12, dones.subList(dones.size() - 12, dones.size()).stream().distinct().count(),
                        "one report per pass: " + dones);
                // each sampled edge is one patched pass per batch (two batches); 12 masks exceed the budget of one a pass, so
                // each layer above 0 that a sampled edge enters adds a shared prefix pass per batch
                boolean[] candidates = new CandidateBudget.TopK(5).select(r.estimates());
                long prefixLayers = FalseNegativeBound.unverified(candidates, 3).subList(0, 12).stream()
                        .mapToInt(e -> tp.graph().edges().get(e).destination().node().layer()).filter(l -> l > 0)
                        .distinct().count();
                org.junit.jupiter.api.Assertions.assertTrue(prefixLayers > 0);
                assertEquals(24 + 2 * prefixLayers, progress.passes.get(stages - 1)[0]);
                assertEquals(0, progress.passes.get(stages - 1)[1]);
            }
        }
    }
}
