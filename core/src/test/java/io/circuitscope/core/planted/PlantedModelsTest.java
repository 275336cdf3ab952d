package io.circuitscope.core.planted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every planted model performs its task, its ground-truth edges alone reproduce the clean metric, each
 * distractor node and each non-ground-truth edge is irrelevant, each ground-truth edge matters, and the
 * written checkpoint loads back to identical logits.
 */
class PlantedModelsTest {
    static final long SEED = 20240611L;
    static final int EXAMPLES = 32;
    static final List<PlantedModel> MODELS = new ArrayList<>();
    static final List<HookedTransformer> BUILT = new ArrayList<>();

    @BeforeAll
    static void build() {
        for (String name : PlantedModels.NAMES) {
            PlantedModel p = PlantedModels.byName(name);
            MODELS.add(p);
            BUILT.add(p.build());
        }
    }

    @AfterAll
    static void close() {
        BUILT.forEach(HookedTransformer::close);
    }

    static Stream<String> names() {
        return PlantedModels.NAMES.stream();
    }

    static int index(String name) {
        return PlantedModels.NAMES.indexOf(name);
    }

    static String f(double x) {
        return String.format(Locale.ROOT, "%.4g", x);
    }

    /** clean and corrupted metric: values[0], values[1]. */
    static double[] cleanAndCorrupted(PlantedModel p, HookedTransformer model, Task task) {
        ComputationGraph g = ComputationGraph.of(p.config());
        return PlantedHarness.evaluate(model, task, p.defaultMetric(),
                List.of(PlantedHarness.keepAll(g), new boolean[g.nEdges()]));
    }

    @ParameterizedTest
    @MethodSource("names")
    void cleanModelPerformsTheTask(String name) {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        Task task = p.task(SEED, EXAMPLES);
        double accuracy = PlantedHarness.accuracy(model, task);
        double[] m = cleanAndCorrupted(p, model, task);
        System.out.printf(Locale.ROOT, "[planted %s] accuracy %.3f, %s clean %s, corrupted %s, gap %s%n", name,
                accuracy, p.defaultMetric(), f(m[0]), f(m[1]), f(m[0] - m[1]));
        assertTrue(accuracy >= 0.95, "accuracy " + accuracy);
        assertTrue(m[0] - m[1] > 3.0, "clean-corrupted gap " + (m[0] - m[1]));
    }

    @ParameterizedTest
    @MethodSource("names")
    void groundTruthEdgesAloneReproduceTheCleanMetric(String name) {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        ComputationGraph g = ComputationGraph.of(p.config());
        PlantedHarness.Patched m = PlantedHarness.patched(model, p.task(SEED, EXAMPLES), p.defaultMetric(), g,
                List.of(PlantedHarness.keepOnly(g, p.groundTruthEdges()), PlantedHarness.keepOnly(g, p.structuralEdges())),
                false);
        double faithfulness = m.faithfulness(0);
        double structural = m.faithfulness(1);
        System.out.printf(Locale.ROOT, "[planted %s] %d ground-truth edges of %d: circuit metric %s, normalised "
                + "faithfulness %.6f (structural %d edges: %.6f)%n", name, p.groundTruthEdges().size(), g.nEdges(),
                f(m.values()[0]), faithfulness, p.structuralEdges().size(), structural);
        assertTrue(faithfulness >= 0.95, "faithfulness " + faithfulness);
        assertTrue(Math.abs(faithfulness - 1) < 1e-3, "planted circuits are exact: " + faithfulness);
        assertTrue(Math.abs(structural - 1) < 1e-3, "structural circuit: " + structural);
    }

    @ParameterizedTest
    @MethodSource("names")
    void patchingAnyDistractorNodeChangesTheMetricByLessThanOnePercentOfTheGap(String name) {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        ComputationGraph g = ComputationGraph.of(p.config());
        List<boolean[]> masks = new ArrayList<>();
        List<String> distractors = new ArrayList<>(p.distractorNodes());
        for (String node : distractors) {
            masks.add(PlantedHarness.patchWhere(g, e -> e.source().name().equals(node)));
        }
        PlantedHarness.Patched m = PlantedHarness.patched(model, p.task(SEED, EXAMPLES), p.defaultMetric(), g, masks, false);
        double worst = 0;
        String worstNode = "";
        for (int i = 0; i < distractors.size(); i++) {
            double effect = m.fractionOfGap(i);
            if (effect >= worst) {
                worst = effect;
                worstNode = distractors.get(i);
            }
        }
        StringBuilder norms = new StringBuilder();
        for (int l = 0; l < p.config().nLayers(); l++) {
            for (int h = 0; h < p.config().nHeads(); h++) {
                norms.append(String.format(Locale.ROOT, " a%d.h%d=%.1f", l, h, p.weights().headNorm(l, h)));
            }
        }
        System.out.printf(Locale.ROOT, "[planted %s] %d distractor nodes %s: max effect %.3g of the gap (%s); head "
                + "norms (|W_Q|,|W_K|,|W_V|,|W_O| together):%s%n", name, distractors.size(), distractors, worst,
                worstNode, norms);
        assertTrue(!distractors.isEmpty());
        // The patches are real interventions: every distractor's output differs between clean and corrupted.
        Batch first = p.task(SEED, EXAMPLES).batches(64).get(0);
        io.circuitscope.core.graph.EdgePatcher patcher = new io.circuitscope.core.graph.EdgePatcher(model, g);
        try (NDManager run = model.newRunManager()) {
            var clean = patcher.sourceOutputs(run, first.clean());
            var corrupt = patcher.sourceOutputs(run, first.corrupt());
            for (String node : distractors) {
                int s = g.node(node).sourceIndex();
                float moved = clean.source(s).sub(corrupt.source(s)).abs().max().getFloat();
                assertTrue(moved > 1e-2f, node + " output does not depend on the corruption: " + moved);
            }
        }
        assertTrue(worst < 0.01, "distractor " + worstNode + " moves the metric by " + worst + " of the gap");
    }

    @ParameterizedTest
    @MethodSource("names")
    void patchingAnyGroundTruthEdgeAloneChangesTheMetricClearly(String name) {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        ComputationGraph g = ComputationGraph.of(p.config());
        List<boolean[]> masks = new ArrayList<>();
        List<String> edges = new ArrayList<>(new java.util.TreeSet<>(p.groundTruthEdges()));
        for (String edge : edges) {
            masks.add(PlantedHarness.patchWhere(g, e -> e.name().equals(edge)));
        }
        PlantedHarness.Patched m = PlantedHarness.patched(model, p.task(SEED, EXAMPLES), p.defaultMetric(), g, masks, false);
        double weakest = Double.MAX_VALUE;
        StringBuilder report = new StringBuilder();
        for (int i = 0; i < edges.size(); i++) {
            double effect = m.fractionOfGap(i);
            weakest = Math.min(weakest, effect);
            report.append(String.format(Locale.ROOT, "%n    %-20s %.3f", edges.get(i), effect));
        }
        System.out.printf(Locale.ROOT, "[planted %s] effect of patching each ground-truth edge, as a fraction of "
                + "the gap (min %.3f):%s%n", name, weakest, report);
        assertTrue(weakest > 0.1, "a ground-truth edge barely matters: " + weakest);
    }

    @ParameterizedTest
    @MethodSource("names")
    void patchingAnyOtherEdgeAloneChangesNothing(String name) {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        ComputationGraph g = ComputationGraph.of(p.config());
        List<boolean[]> masks = new ArrayList<>();
        List<Edge> others = g.edges().stream().filter(e -> !p.groundTruthEdges().contains(e.name())).toList();
        for (Edge edge : others) {
            masks.add(PlantedHarness.patchWhere(g, e -> e.index() == edge.index()));
        }
        PlantedHarness.Patched m = PlantedHarness.patched(model, p.task(SEED + 1, 6), p.defaultMetric(), g, masks, false);
        double worst = 0;
        String worstEdge = "";
        for (int i = 0; i < others.size(); i++) {
            double effect = m.fractionOfGap(i);
            if (effect >= worst) {
                worst = effect;
                worstEdge = others.get(i).name();
            }
        }
        System.out.printf(Locale.ROOT, "[planted %s] %d non-ground-truth edges: max single-edge effect %.3g of the "
                + "gap (%s)%n", name, others.size(), worst, worstEdge);
        assertTrue(worst < 0.01, worstEdge + " moves the metric by " + worst + " of the gap");
    }

    /**
     * Under zero ablation (tracr's setting) the structural edges are the circuit, and each of them matters
     * (weakest: IOI's input->a1.h0<q>, about 8% of the gap, see {@link PlantedIoi}).
     */
    @ParameterizedTest
    @MethodSource("names")
    void structuralEdgesAreTheCircuitUnderZeroAblation(String name) {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        ComputationGraph g = ComputationGraph.of(p.config());
        List<boolean[]> masks = new ArrayList<>();
        masks.add(PlantedHarness.keepOnly(g, p.structuralEdges()));
        List<String> edges = new ArrayList<>(new java.util.TreeSet<>(p.structuralEdges()));
        for (String edge : edges) {
            masks.add(PlantedHarness.patchWhere(g, e -> e.name().equals(edge)));
        }
        PlantedHarness.Patched m = PlantedHarness.patched(model, p.task(SEED, 16), p.defaultMetric(), g, masks, true);
        double gap = m.gap();
        double faithfulness = m.faithfulness(0);
        double weakest = Double.MAX_VALUE;
        String weakestEdge = "";
        for (int i = 0; i < edges.size(); i++) {
            double effect = m.fractionOfGap(1 + i);
            if (effect < weakest) {
                weakest = effect;
                weakestEdge = edges.get(i);
            }
        }
        System.out.printf(Locale.ROOT, "[planted %s] zero ablation: gap %s, %d structural edges faithfulness %.6f, "
                + "weakest single-edge effect %.3f of the gap (%s)%n", name, f(gap), edges.size(), faithfulness, weakest,
                weakestEdge);
        assertTrue(Math.abs(faithfulness - 1) < 1e-3, "structural circuit under zero ablation: " + faithfulness);
        assertTrue(weakest > 0.05, "a structural edge does not matter under zero ablation: " + weakest);
    }

    /**
     * Under mean ablation as discover takes it (each source's output averaged over the task's corrupted prompts of a
     * length) the declared mean-ablation edges are the circuit: each of them matters and no other edge does.
     */
    @ParameterizedTest
    @MethodSource("names")
    void meanAblationEdgesAreTheCircuitUnderMeanAblation(String name) {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        ComputationGraph g = ComputationGraph.of(p.config());
        List<boolean[]> masks = new ArrayList<>();
        masks.add(PlantedHarness.keepOnly(g, p.meanAblationEdges()));
        for (Edge edge : g.edges()) {
            masks.add(PlantedHarness.patchWhere(g, e -> e.index() == edge.index()));
        }
        try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(model, g), p.task(SEED, EXAMPLES), p.defaultMetric(),
                Ablation.MEAN, 16)) {
            double[] m = tp.evaluateKeep(masks);
            double gap = tp.cleanValue() - tp.corruptedValue();
            double faithfulness = (m[0] - tp.corruptedValue()) / gap;
            double weakest = Double.MAX_VALUE;
            String weakestEdge = "";
            double strongestOther = 0;
            String strongestOtherEdge = "";
            StringBuilder effects = new StringBuilder();
            for (Edge edge : g.edges()) {
                double effect = Math.abs(m[1 + edge.index()] - tp.cleanValue()) / Math.abs(gap);
                if (p.meanAblationEdges().contains(edge.name())) {
                    effects.append(String.format(Locale.ROOT, "%n    %-20s %.3f", edge.name(), effect));
                    if (effect < weakest) {
                        weakest = effect;
                        weakestEdge = edge.name();
                    }
                } else if (effect >= strongestOther) {
                    strongestOther = effect;
                    strongestOtherEdge = edge.name();
                }
            }
            System.out.printf(Locale.ROOT, "[planted %s] mean ablation: gap %s, %d mean-ablation edges faithfulness "
                    + "%.6f, strongest other edge %.3g of the gap (%s); each edge's effect:%s%n", name, f(gap),
                    p.meanAblationEdges().size(), faithfulness, strongestOther, strongestOtherEdge, effects);
            assertTrue(Math.abs(faithfulness - 1) < 1e-3, "mean-ablation circuit: " + faithfulness);
            assertTrue(weakest > 0.05, "a mean-ablation edge does not matter: " + weakestEdge + " " + weakest);
            assertTrue(strongestOther < 1e-3, strongestOtherEdge + " moves the metric by " + strongestOther
                    + " of the gap under mean ablation but is not a mean-ablation edge");
        }
    }

    @Test
    void eachAblationHasItsOwnGroundTruth() {
        for (PlantedModel p : MODELS) {
            assertEquals(p.groundTruthEdges(), p.groundTruthEdges(Ablation.RESAMPLE), p.name());
            assertEquals(p.meanAblationEdges(), p.groundTruthEdges(Ablation.MEAN), p.name());
            assertEquals(p.structuralEdges(), p.groundTruthEdges(Ablation.ZERO), p.name());
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void writtenCheckpointLoadsBackWithIdenticalLogits(String name, @TempDir Path dir) throws Exception {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        p.writeCheckpoint(dir);
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"circuitscope_normalization\" : \"none\""));
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            assertEquals("gpt2", loaded.modelType());
            assertEquals(p.config(), loaded.model().config());
            for (Batch batch : p.task(SEED, 8).batches(64)) {
                try (NDManager run = model.newRunManager()) {
                    NDArray mine = model.forward(run, batch.clean());
                    NDArray theirs = loaded.model().forward(run, batch.clean());
                    float diff = mine.sub(theirs).abs().max().getFloat();
                    System.out.printf(Locale.ROOT, "[planted %s] checkpoint round trip: max |logit diff| %.3g%n",
                            name, diff);
                    assertEquals(0f, diff, 1e-5f);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void bundleHoldsTheTaskAndTheGroundTruth(String name, @TempDir Path dir) throws Exception {
        PlantedModel p = MODELS.get(index(name));
        p.writeBundle(dir, 5, 12);
        Task read = io.circuitscope.core.task.TaskFile.read(dir.resolve("task.jsonl"), null, false);
        Task made = p.task(5, 12);
        assertEquals(made.size(), read.size());
        for (int i = 0; i < made.size(); i++) {
            assertTrue(java.util.Arrays.equals(made.examples().get(i).clean(), read.examples().get(i).clean()));
            assertTrue(java.util.Arrays.equals(made.examples().get(i).corrupt(), read.examples().get(i).corrupt()));
            assertEquals(made.examples().get(i).targets(), read.examples().get(i).targets());
        }
        com.fasterxml.jackson.databind.JsonNode truth = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(dir.resolve("ground_truth.json").toFile());
        assertEquals(p.groundTruthEdges().size(), truth.get("edges").size());
        assertEquals(p.meanAblationEdges().size(), truth.get("mean_ablation_edges").size());
        assertEquals(p.defaultMetric().name(), truth.get("metric").asText());
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            assertEquals(p.config(), loaded.model().config());
        }
    }

    @Test
    void registryKnowsEveryModelAndRejectsOthers() {
        for (String name : PlantedModels.NAMES) {
            assertEquals(name, PlantedModels.byName(name).name());
        }
        assertThrows(IllegalArgumentException.class, () -> PlantedModels.byName("docstring"));
    }

    @ParameterizedTest
    @MethodSource("names")
    void tasksAreSeeded(String name) {
        PlantedModel p = MODELS.get(index(name));
        Task a = p.task(7, 10);
        Task b = p.task(7, 10);
        for (int i = 0; i < 10; i++) {
            assertTrue(java.util.Arrays.equals(a.examples().get(i).clean(), b.examples().get(i).clean()));
            assertTrue(java.util.Arrays.equals(a.examples().get(i).corrupt(), b.examples().get(i).corrupt()));
        }
    }

    /**
     * Accuracy and rank read a tie against the answer: with every edge zero-ablated a planted model gives every
     * token the same logit (its logit difference is 0), which accuracy read as 1 and rank as 1 (ties counted for
     * the answer), so that the corruption seemed not to move them at all and discover refused the task. Planted
     * greater-than's target is one of the years after YY, which its model ranks all alike: tied, so not accurate.
     */
    @ParameterizedTest
    @MethodSource("names")
    void aZeroAblatedModelIsNeitherAccurateNorTopRanked(String name) {
        PlantedModel p = MODELS.get(index(name));
        HookedTransformer model = BUILT.get(index(name));
        Task task = p.task(SEED, EXAMPLES);
        EdgePatcher patcher = new EdgePatcher(model);
        int vocab = p.config().vocabSize();
        try (TaskPatcher accuracy = new TaskPatcher(patcher, task, io.circuitscope.core.task.Metrics.ACCURACY, Ablation.ZERO, 16);
             TaskPatcher rank = new TaskPatcher(patcher, task, io.circuitscope.core.task.Metrics.RANK, Ablation.ZERO, 16);
             TaskPatcher logitDiff = new TaskPatcher(patcher, task, io.circuitscope.core.task.Metrics.LOGIT_DIFF, Ablation.ZERO, 16)) {
            System.out.printf(Locale.ROOT, "[planted %s, zero ablation] accuracy %s -> %s, rank %s -> %s, logit-diff %s -> %s%n",
                    name, f(accuracy.cleanValue()), f(accuracy.corruptedValue()), f(rank.cleanValue()),
                    f(rank.corruptedValue()), f(logitDiff.cleanValue()), f(logitDiff.corruptedValue()));
            assertEquals(0, logitDiff.corruptedValue(), 1e-6, "every logit equal");
            assertEquals(0, accuracy.corruptedValue(), 1e-9);
            assertEquals(vocab, rank.corruptedValue(), 1e-9, "every other token ties with the answer");
            if (name.equals("greater-than")) {
                // its target names one of the later years, and the model gives them all logit 10: a tie, not a hit
                assertEquals(0, accuracy.cleanValue(), 1e-9);
                assertTrue(rank.cleanValue() > 1 && rank.cleanValue() < vocab / 2.0, "rank " + rank.cleanValue());
            } else {
                assertEquals(1, accuracy.cleanValue(), 1e-9);
                assertEquals(1, rank.cleanValue(), 1e-9);
                assertTrue(accuracy.hasEffect());
            }
            assertTrue(rank.hasEffect());
        }
    }
}
