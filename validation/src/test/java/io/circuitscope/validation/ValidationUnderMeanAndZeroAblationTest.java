package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Faithfulness, the complement's faithfulness and every minimality drop under mean and zero ablation, with metrics
 * where lower is better (KL, rank) and one where higher is: each computed here from plain patched passes
 * ({@link TaskPatcher#evaluateKeep}) as (m(C) - m(empty)) / (m(full) - m(empty)) and f(C) - f(C without the
 * component), a node removed with every edge into and out of it. Minimality runs from prefixes (a pass budget of 1
 * byte), so the shared prefix passes are checked against full passes under these ablations too; before, only under
 * resampling (MinimalityFromPrefixesTest). Prompts have two targets, one of them mid-prompt.
 */
class ValidationUnderMeanAndZeroAblationTest {
    private static final ValidationSettings SETTINGS = new ValidationSettings(0.8, 0.2, 0.01, 0, 0, 0.95, 1);

    @Test
    void faithfulnessNecessityAndMinimalityMatchPlainPasses() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(73, 3, 2, 4, 23, 8, false))) {
            HookedTransformer model = loaded.model();
            Task task = task(model, new Random(11), 6);
            boolean[] keep = null;
            int checked = 0;
            for (Ablation ablation : List.of(Ablation.MEAN, Ablation.ZERO)) {
                for (Metric metric : List.of(Metrics.KL, Metrics.RANK, Metrics.LOGIT_DIFF)) {
                    try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), task, metric, ablation, 4, 1)) {
                        if (!tp.hasEffect()) {
                            continue;
                        }
                        if (keep == null) {
                            Random rng = new Random(4);
                            keep = new boolean[tp.graph().nEdges()];
                            for (int e = 0; e < keep.length; e++) {
                                keep[e] = rng.nextDouble() < 0.5;
                            }
                        }
                        check(tp, Circuit.of(tp.graph(), keep, null), ablation + ", " + metric.name());
                        checked++;
                    }
                }
            }
            assertTrue(checked >= 5, "most cases must have an effect to check: " + checked);
        }
    }

    private static void check(TaskPatcher tp, Circuit circuit, String what) {
        ComputationGraph g = tp.graph();
        int n = g.nEdges();
        boolean[] keep = circuit.keepMask();
        boolean[] full = new boolean[n];
        java.util.Arrays.fill(full, true);
        boolean[] complement = new boolean[n];
        for (int i = 0; i < n; i++) {
            complement[i] = !keep[i];
        }
        double[] m = tp.evaluateKeep(List.of(full, new boolean[n], keep, complement));
        double f = (m[2] - m[1]) / (m[0] - m[1]);
        double fc = (m[3] - m[1]) / (m[0] - m[1]);

        ValidationReport r = new CircuitValidator(SETTINGS).validate(tp, circuit, Progress.NONE);
        double tolerance = 1e-4 * Math.max(1, Math.abs(f));
        assertEquals(f, r.faithfulness().value(), tolerance, what + ": faithfulness");
        assertEquals(fc, r.complementFaithfulness().value(), 1e-4 * Math.max(1, Math.abs(fc)), what + ": complement");
        assertEquals(f >= 0.8, r.sufficient(), what);
        assertEquals(fc <= 0.2, r.necessary(), what);

        List<boolean[]> without = new ArrayList<>();
        for (ValidationReport.ComponentScore c : r.components()) {
            boolean[] w = keep.clone();
            if (c.node()) {
                Node node = g.node(c.name());
                for (Edge e : g.edges()) {
                    if (e.source() == node || e.destination().node() == node) {
                        w[e.index()] = false;
                    }
                }
            } else {
                w[g.edge(c.name()).index()] = false;
            }
            without.add(w);
        }
        double[] mWithout = tp.evaluateKeep(without);
        boolean someMatter = false;
        for (int i = 0; i < mWithout.length; i++) {
            ValidationReport.ComponentScore c = r.components().get(i);
            double drop = f - (mWithout[i] - m[1]) / (m[0] - m[1]);
            assertEquals(drop, c.score(), 1e-4 * Math.max(1, Math.abs(f)), what + ": drop of " + c.name());
            if (Math.abs(Math.abs(drop) - 0.01) > 1e-3) {
                assertEquals(Math.abs(drop) >= 0.01, c.minimal(), what + ": " + c.name());
            }
            someMatter |= Math.abs(drop) > 0.01;
        }
        assertTrue(someMatter, what + ": some component must matter");
    }

    /** Prompts of 5 tokens, each with the clean top token as the answer at the end and a second target at position 2. */
    private static Task task(HookedTransformer model, Random rng, int prompts) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            int[] clean = new int[5];
            int[] corrupt = new int[5];
            for (int p = 0; p < 5; p++) {
                clean[p] = rng.nextInt(23);
                corrupt[p] = rng.nextInt(23);
            }
            float[][] logits = model.logits(clean);
            examples.add(new Example(clean, corrupt, List.of(target(logits[4], -1), target(logits[2], 2))));
        }
        return new Task("two-targets", examples);
    }

    private static Target target(float[] logits, int position) {
        int best = 0;
        for (int v = 1; v < logits.length; v++) {
            best = logits[v] > logits[best] ? v : best;
        }
        return new Target(position, best, (best + 1) % logits.length);
    }
}
