package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.discovery.Eap;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A comparison that stops halfway and is rerun from its store patches only what is missing and ends where a fresh run ends. */
class ExactEffectsReuseTest {
    /** Keeps copies of what is saved; throws on the save after {@code crashAfter} saves, as a killed run stops. */
    static final class MemoryStore implements ExactEffectsStore {
        final List<Stored> saves = new ArrayList<>();
        Stored current;
        int crashAfter = Integer.MAX_VALUE;

        @Override
        public Stored load(int edges) {
            return current == null ? Stored.empty(edges) : new Stored(current.edges().clone(),
                    current.nodes() == null ? null : current.nodes().clone());
        }

        @Override
        public void save(Stored stored) {
            if (saves.size() >= crashAfter) {
                throw new IllegalStateException("killed");
            }
            current = new Stored(stored.edges().clone(), stored.nodes() == null ? null : stored.nodes().clone());
            saves.add(current);
        }
    }

    @Test
    void aRunResumedFromItsStoreEqualsAFreshRunAndPatchesOnlyWhatIsMissing() {
        PlantedModel planted = PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build();
             TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), planted.task(0, 8), Metrics.LOGIT_DIFF,
                     Ablation.RESAMPLE, 8)) {
            int sample = 150;
            ScorerComparison.Result fresh = ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample, 3,
                    ExactEffectsStore.NONE, Progress.NONE);

            MemoryStore store = new MemoryStore();
            store.crashAfter = 1; // the first destination layer is saved, then the run dies
            assertThrows(IllegalStateException.class, () -> ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample, 3,
                    store, Progress.NONE));
            assertNotNull(store.current);
            long savedEdges = java.util.Arrays.stream(store.current.edges()).filter(v -> !Double.isNaN(v)).count();
            assertEquals(sample + 10, fresh.exactEdges(), "EAP's top 10 edges and 150 sampled others");
            assertTrue(savedEdges > 0 && savedEdges < fresh.exactEdges(), "one layer's edges were saved: " + savedEdges);

            store.crashAfter = Integer.MAX_VALUE;
            ScorerComparison.Result resumed = ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample, 3, store,
                    Progress.NONE);
            assertEquals(savedEdges, resumed.reusedEdges());
            assertTrue(resumed.exactPasses() < fresh.exactPasses(), resumed.exactPasses() + " vs " + fresh.exactPasses());
            assertEquals(fresh.entries().get(0).agreement(), resumed.entries().get(0).agreement());

            // everything stored: a rerun patches nothing, and a larger sample with the same seed adds only new edges
            ScorerComparison.Result again = ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample, 3, store,
                    Progress.NONE);
            assertEquals(0, again.exactPasses());
            assertTrue(again.reusedNodes());
            ScorerComparison.Result larger = ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample + 50, 3, store,
                    Progress.NONE);
            assertEquals(fresh.exactEdges(), larger.reusedEdges(), "a seed's samples are nested");
            assertEquals(fresh.exactEdges() + 50, larger.exactEdges());
        }
    }

    /**
     * With a sample of exact edges, each drawn edge stands for (others / sampled) edges: the edge correlations are
     * the weighted ones over the patched edges. The sample is rebuilt here with the run's arguments and the
     * correlations recomputed from the stored exact effects; here they differ from the unweighted ones.
     */
    @Test
    void aSampledRunWeightsItsEdgeCorrelationsByWhatEachDrawnEdgeStandsFor() {
        PlantedModel planted = PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build();
             TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), planted.task(0, 8), Metrics.LOGIT_DIFF,
                     Ablation.RESAMPLE, 8)) {
            int topEdges = 5;
            int sampled = 150;
            long seed = 3;
            MemoryStore store = new MemoryStore();
            ScorerComparison.Result run = ScorerComparison.run(tp, List.of(new Eap()), topEdges, 10, sampled, seed, store,
                    Progress.NONE);
            io.circuitscope.core.graph.EdgeScores eap = new Eap().score(tp, Progress.NONE);
            EdgeSample sample = EdgeSample.choose(tp.graph().nEdges(), List.of(eap), 2 * topEdges, sampled, seed);
            int[] chosen = sample.edges();
            assertTrue(!sample.everyEdge() && chosen.length == run.exactEdges(), chosen.length + " vs " + run.exactEdges());
            double[] exactEdges = store.current.edges();
            double[] x = new double[chosen.length];
            double[] y = new double[chosen.length];
            double[] w = new double[chosen.length];
            int others = tp.graph().nEdges() - 2 * topEdges; // EAP's top 10 are patched for sure
            java.util.Set<Double> distinctWeights = new java.util.TreeSet<>();
            for (int i = 0; i < chosen.length; i++) {
                x[i] = eap.get(chosen[i]);
                y[i] = exactEdges[chosen[i]];
                w[i] = sample.weights()[chosen[i]];
                assertTrue(!Double.isNaN(y[i]), "edge " + chosen[i] + " was patched");
                distinctWeights.add(w[i]);
            }
            assertEquals(java.util.Set.of(1.0, (double) others / sampled), distinctWeights);
            io.circuitscope.validation.ScoreAgreement a = run.entries().get(0).agreement();
            double weighted = io.circuitscope.validation.WeightedCorrelation.pearson(x, y, w);
            double unweighted = new org.apache.commons.math3.stat.correlation.PearsonsCorrelation().correlation(x, y);
            assertEquals(weighted, a.edgePearson(), 1e-12, "weighted edge Pearson");
            assertEquals(io.circuitscope.validation.WeightedCorrelation.spearman(x, y, w), a.edgeSpearman(), 1e-12,
                    "weighted edge Spearman");
            assertTrue(Math.abs(weighted - unweighted) > 0.01, "the weights matter here: " + weighted + " vs " + unweighted);
        }
    }
}
