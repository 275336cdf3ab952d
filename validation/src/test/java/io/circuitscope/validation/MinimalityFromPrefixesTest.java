package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.PrefixedEvaluation;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Minimality's masks run from the circuit's shared prefix at each component's layer: the same drops as a full
 * pass per mask, fewer layers computed, and every prefix pass counted in the forward passes as ACDC's are; when
 * every mask fits one pass's budget, full passes are kept.
 */
class MinimalityFromPrefixesTest {
    // no completeness samples, so the two validations differ only in minimality
    private static final ValidationSettings SETTINGS = new ValidationSettings(0.8, 0.2, 0.01, 0, 50, 0.95, 3);

    @Test
    void plantedCircuitsGetTheDropsOfFullPasses() {
        for (String name : List.of("induction", "ioi")) {
            PlantedModel planted = PlantedModels.byName(name);
            for (long budget : new long[] {TaskPatcher.PASS_BUDGET_BYTES, 1}) { // 1 byte: one mask a pass, as GPT-2 small
                try (HookedTransformer model = planted.build();
                        TaskPatcher task = new TaskPatcher(new EdgePatcher(model), planted.task(5, 16),
                                Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 8, budget)) {
                    List<String> edges = new ArrayList<>(planted.groundTruthEdges());
                    edges.add(task.graph().edges().get(7).name()); // one more, so some component does not matter
                    compare(task, Circuit.ofEdgeNames(task.graph(), edges), name);
                }
            }
        }
    }

    @Test
    void aRandomCircuitOfARandomModelGetsTheDropsOfFullPasses() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(61, 3, 2, 4, 23, 8, false))) {
            HookedTransformer model = loaded.model();
            Random rng = new Random(5);
            List<Example> examples = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int[] clean = new int[5];
                int[] corrupt = new int[5];
                for (int p = 0; p < 5; p++) {
                    clean[p] = rng.nextInt(23);
                    corrupt[p] = rng.nextInt(23);
                }
                int answer = rng.nextInt(23);
                examples.add(new Example(clean, corrupt, List.of(new Target(-1, answer, (answer + 1) % 23))));
            }
            boolean[] keep = null;
            // 1 byte: one mask a pass, so that the circuit's components do not fit the budget and run from prefixes
            for (long budget : new long[] {TaskPatcher.PASS_BUDGET_BYTES, 1}) {
                try (TaskPatcher task = new TaskPatcher(new EdgePatcher(model), new Task("random", examples),
                        Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 4, budget)) { // three batches, each with its own prefixes
                    if (keep == null) {
                        keep = new boolean[task.graph().nEdges()];
                        for (int e = 0; e < keep.length; e++) {
                            keep[e] = rng.nextDouble() < 0.6;
                        }
                    }
                    compare(task, Circuit.of(task.graph(), keep, null), "random, budget " + budget);
                }
            }
        }
    }

    private static void compare(TaskPatcher task, Circuit circuit, String what) {
        long passes = task.forwardPasses();
        long layers = task.patchedLayers();
        ValidationReport shared = new CircuitValidator(SETTINGS).validate(task, circuit, Progress.NONE);
        long sharedPasses = task.forwardPasses() - passes;
        long sharedLayers = task.patchedLayers() - layers;
        ValidationReport plain = new CircuitValidator(SETTINGS, false).validate(task, circuit, Progress.NONE);
        long plainPasses = task.forwardPasses() - passes - sharedPasses;
        long plainLayers = task.patchedLayers() - layers - sharedLayers;

        assertEquals(plain.components().size(), shared.components().size(), what);
        boolean someMatter = false;
        for (int i = 0; i < plain.components().size(); i++) {
            ValidationReport.ComponentScore p = plain.components().get(i);
            ValidationReport.ComponentScore s = shared.components().get(i);
            assertEquals(p.name(), s.name(), what);
            assertEquals(p.score(), s.score(), 1e-6, what + ": " + p.name());
            assertEquals(p.minimal(), s.minimal(), what + ": " + p.name());
            someMatter |= Math.abs(p.score()) > 0.01;
        }
        assertTrue(someMatter, what + ": some component must matter for the comparison to mean anything");
        assertEquals(plain.minimal(), shared.minimal(), what);

        assertEquals(sharedPasses, shared.forwardPasses(), what);
        assertEquals(plainPasses, plain.forwardPasses(), what);
        if (PrefixedEvaluation.fitsPassBudget(task, plain.components().size())) {
            // every mask fits one pass's budget: full passes, each computing each layer once for all its masks
            assertEquals(plainPasses, sharedPasses, what + ": full passes, as without prefixes");
            assertEquals(plainLayers, sharedLayers, what);
            return;
        }
        assertEquals(plainPasses - passes(task, List.of(plain.components().size())) + prefixPasses(task, shared),
                sharedPasses, what + ": a prefix pass per batch and layer, then the layer's masks in passes as before");
        assertTrue(sharedLayers < plainLayers, what + ": " + sharedLayers + " layers computed against " + plainLayers);
    }

    /** Passes of minimality from prefixes: per layer above 0 a prefix per batch, then that layer's masks. */
    private static long prefixPasses(TaskPatcher task, ValidationReport report) {
        ComputationGraph g = task.graph();
        Map<Integer, Integer> perLayer = new TreeMap<>();
        for (ValidationReport.ComponentScore c : report.components()) {
            int layer = c.node() ? g.node(c.name()).layer() : g.edge(c.name()).destination().node().layer();
            perLayer.merge(layer, 1, Integer::sum);
        }
        long out = passes(task, List.copyOf(perLayer.values()));
        for (int layer : perLayer.keySet()) {
            out += layer > 0 ? task.batches().size() : 0;
        }
        return out;
    }

    /** Passes of groups of masks, each group in chunks of at most MASKS_PER_PASS that fit a pass, per batch. */
    private static long passes(TaskPatcher task, List<Integer> groups) {
        int perPass = Math.min(PrefixedEvaluation.MASKS_PER_PASS, task.masksPerPass());
        long out = 0;
        for (int n : groups) {
            out += (long) ((n + perPass - 1) / perPass) * task.batches().size();
        }
        return out;
    }
}
