package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.task.Metrics;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A circuit against the planted IOI ground truth, as `./circuitscope discover` (planted:ioi, kl) compares them. */
class CircuitComparisonTest {
    /** discover's default run: planted:ioi, its task of 8 prompts, KL, resampling. */
    static final PlantedModel planted = PlantedModels.byName("ioi");
    static HookedTransformer model;
    static TaskPatcher task;

    @BeforeAll
    static void setUp() {
        model = planted.build();
        task = new TaskPatcher(new EdgePatcher(model), planted.task(0, 8), Metrics.KL, Ablation.RESAMPLE, 8);
    }

    @AfterAll
    static void tearDown() {
        task.close();
        model.close();
    }

    @Test
    void theFoundCircuitOfTheDefaultRunMatchesTheTruthAndAnExtraEdgeCostsPrecision() {
        ComputationGraph g = task.graph();
        Circuit truth = Circuit.ofEdgeNames(g, planted.groundTruthEdges());
        // KL's scores: positive supports the behaviour; the truth's edges score highest, as discover's do
        double[] scores = new double[g.nEdges()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = truth.contains(i) ? 1 + i % 3 : 0.001 * (1 + i % 5);
        }
        EdgeScores scored = new EdgeScores(g, scores);

        // discover's circuit.json: edge precision 1.000 (12/12), recall 1.000 (12/12), ROC AUC 1.000, nodes 4/4
        CircuitComparison found = CircuitComparison.of(task, truth.withScores(scored), truth, true);
        assertFalse(found.acrossPositions());
        assertEquals(new CircuitComparison.Counts(12, 12, 12), found.edges());
        assertEquals(1.0, found.edges().precision());
        assertEquals(1.0, found.edges().recall());
        assertEquals(new CircuitComparison.Counts(4, 4, 4), found.nodes(), "heads only, the input left out");
        assertNotNull(found.roc());
        assertEquals(1.0, found.roc().auc());
        FaithfulnessCurve curve = FaithfulnessCurve.of(task, scored, true);
        assertEquals(curve.cpr(), found.curve().cpr(), 1e-12);
        assertEquals(curve.cmd(), found.curve().cmd(), 1e-12);

        // one distractor edge kept besides the truth: precision 12/13, recall still 12/12
        String distractor = "input->a0.h0<v>"; // used by the construction, no effect under resampling
        assertFalse(planted.groundTruthEdges().contains(distractor));
        List<String> edges = new ArrayList<>(planted.groundTruthEdges());
        edges.add(distractor);
        CircuitComparison extra = CircuitComparison.of(task, Circuit.ofEdgeNames(g, edges).withScores(scored), truth,
                true);
        assertEquals(new CircuitComparison.Counts(13, 12, 12), extra.edges());
        assertEquals(12.0 / 13, extra.edges().precision(), 1e-12);
        assertEquals(1.0, extra.edges().recall());
    }

    /**
     * The node-level ROC AUC (ACDC's Table 2 reports one per method beside the edge AUC): heads and MLPs ranked by
     * importance, |the sum of a node's out-edge scores|, against the reference's heads and MLPs, the input left out.
     * Recomputed here as the share of (reference, other) node pairs the ranking orders right, ties counting half.
     */
    @Test
    void nodeAucRanksHeadsAndMlpsByImportanceAgainstTheReferencesComponents() {
        ComputationGraph g = task.graph();
        Circuit truth = Circuit.ofEdgeNames(g, planted.groundTruthEdges());
        double[] scores = new java.util.Random(3).doubles(g.nEdges(), -1, 1).toArray();
        EdgeScores scored = new EdgeScores(g, scores);
        CircuitComparison c = CircuitComparison.of(task, truth.withScores(scored), truth, true);
        double[] nodeSums = new double[g.nSources()];
        for (io.circuitscope.core.graph.Edge e : g.edges()) {
            nodeSums[e.source().sourceIndex()] += scores[e.index()];
        }
        java.util.Set<String> truthNodes = new java.util.HashSet<>();
        truth.nodes().forEach(n -> truthNodes.add(n.name()));
        double right = 0;
        int pairs = 0;
        for (io.circuitscope.core.graph.Node a : g.sources()) {
            for (io.circuitscope.core.graph.Node b : g.sources()) {
                if (a.name().equals("input") || b.name().equals("input") || !truthNodes.contains(a.name())
                        || truthNodes.contains(b.name())) {
                    continue;
                }
                double sa = Math.abs(nodeSums[a.sourceIndex()]);
                double sb = Math.abs(nodeSums[b.sourceIndex()]);
                right += sa > sb ? 1 : sa == sb ? 0.5 : 0;
                pairs++;
            }
        }
        assertEquals(4 * (g.nSources() - 1 - 4), pairs, "4 truth heads against the other components");
        assertNotNull(c.nodeRoc());
        assertEquals(right / pairs, c.nodeRoc().auc(), 1e-12);
        assertEquals(null, CircuitComparison.of(task, truth, truth, true).nodeRoc(), "no scores, no ranking");
    }

    /**
     * A circuit without scores (hand-made, or a reference file judged as a circuit) ranks no edge above another: it has
     * no ROC and no CPR or CMD, whose curves keep the top 0.1% .. 100% of a ranking. Both were measured all the same,
     * the ROC as one tie (AUC 0.5) and the curves over the edges in index order: planted:ioi's 12 truth edges unscored
     * read CPR 0.250 and CMD 0.749 (two patched passes spent on them) beside a precision and recall of 1, the areas
     * of no ranking at all. Precision and recall need no scores and stay.
     */
    @Test
    void aCircuitWithoutScoresHasNoRocAndNoFaithfulnessCurve() {
        Circuit truth = Circuit.ofEdgeNames(task.graph(), planted.groundTruthEdges());
        long passes = task.forwardPasses();
        CircuitComparison c = CircuitComparison.of(task, truth, truth, true);
        assertEquals(new CircuitComparison.Counts(12, 12, 12), c.edges());
        assertEquals(new CircuitComparison.Counts(4, 4, 4), c.nodes());
        org.junit.jupiter.api.Assertions.assertNull(c.roc(), "no ranking: no ROC");
        org.junit.jupiter.api.Assertions.assertNull(c.curve(), "no ranking: no CPR or CMD");
        assertEquals(passes, task.forwardPasses(), "no curve passes spent");
    }

    @Test
    void zeroOverZeroIsNotANumber() {
        CircuitComparison.Counts none = new CircuitComparison.Counts(0, 0, 0);
        assertEquals(Double.NaN, none.precision());
        assertEquals(Double.NaN, none.recall());
    }
}
