package io.circuitscope.core.planted;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.SourceOutputs;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** Evaluates a metric under many edge masks (patched with the corrupted prompts' outputs), batched. */
final class PlantedHarness {
    private static final int MASKS_PER_PASS = 64;

    private PlantedHarness() {
    }

    static boolean[] keepAll(ComputationGraph g) {
        boolean[] keep = new boolean[g.nEdges()];
        Arrays.fill(keep, true);
        return keep;
    }

    static boolean[] keepOnly(ComputationGraph g, Set<String> edges) {
        boolean[] keep = new boolean[g.nEdges()];
        for (String e : edges) {
            keep[g.edge(e).index()] = true;
        }
        return keep;
    }

    static boolean[] patchWhere(ComputationGraph g, Predicate<Edge> patched) {
        boolean[] keep = keepAll(g);
        for (Edge e : g.edges()) {
            if (patched.test(e)) {
                keep[e.index()] = false;
            }
        }
        return keep;
    }

    /**
     * The metric with nothing patched, with every edge patched, and under each of {@code masks}: the
     * shape of every "how much does patching X move the metric" check.
     */
    record Patched(double clean, double corrupted, double[] values) {
        double gap() {
            return clean - corrupted;
        }

        /** |m(mask i) - m(clean)| as a fraction of the clean-corrupted gap. */
        double fractionOfGap(int i) {
            return Math.abs(values[i] - clean) / Math.abs(gap());
        }

        /** (m(mask i) - m(corrupted)) / gap: 1 keeps all of the behaviour, 0 none. */
        double faithfulness(int i) {
            return (values[i] - corrupted) / gap();
        }
    }

    static Patched patched(HookedTransformer model, Task task, Metric metric, ComputationGraph g, List<boolean[]> masks,
            boolean zeroAblation) {
        List<boolean[]> all = new ArrayList<>();
        all.add(keepAll(g));
        all.add(new boolean[g.nEdges()]);
        all.addAll(masks);
        double[] m = evaluate(model, task, metric, all, zeroAblation);
        return new Patched(m[0], m[1], Arrays.copyOfRange(m, 2, m.length));
    }

    /** Mean metric over all targets of the task, one value per mask. */
    static double[] evaluate(HookedTransformer model, Task task, Metric metric, List<boolean[]> masks) {
        return evaluate(model, task, metric, masks, false);
    }

    /** As {@link #evaluate(HookedTransformer, Task, Metric, List)}; with {@code zeroAblation} patched edges carry 0. */
    static double[] evaluate(HookedTransformer model, Task task, Metric metric, List<boolean[]> masks,
            boolean zeroAblation) {
        EdgePatcher patcher = new EdgePatcher(model);
        double[] sum = new double[masks.size()];
        int targets = 0;
        for (Batch batch : task.batches(64)) {
            try (NDManager run = model.newRunManager()) {
                SourceOutputs corrupted = patcher.sourceOutputs(run, batch.corrupt());
                if (zeroAblation) {
                    corrupted = corrupted.zeros();
                }
                for (int from = 0; from < masks.size(); from += MASKS_PER_PASS) {
                    int to = Math.min(masks.size(), from + MASKS_PER_PASS);
                    try (NDManager pass = run.newSubManager()) {
                        List<NDArray> coefs = new ArrayList<>();
                        for (int m = from; m < to; m++) {
                            coefs.add(patcher.coefficients(pass, masks.get(m)));
                        }
                        NDArray coef = NDArrays.concat(new NDList(coefs), 0);
                        NDArray logits = patcher.forward(pass, batch.clean(), corrupted, coef);
                        float[] perTarget = metric.perTarget(logits, batch, null).toFloatArray(); // [M, T]
                        int t = batch.targets();
                        for (int m = from; m < to; m++) {
                            for (int i = 0; i < t; i++) {
                                sum[m] += perTarget[(m - from) * t + i];
                            }
                        }
                    }
                }
            }
            targets += batch.targets();
        }
        for (int m = 0; m < sum.length; m++) {
            sum[m] /= targets;
        }
        return sum;
    }

    /**
     * Fraction of targets whose correct token has the top logit (ties within 1e-3 count, since greater-than
     * answers tie) and beats the wrong token, on the unpatched clean prompts.
     */
    static double accuracy(HookedTransformer model, Task task) {
        int ok = 0;
        int n = 0;
        for (Batch batch : task.batches(64)) {
            try (NDManager run = model.newRunManager()) {
                NDArray logits = model.forward(run, batch.clean());
                NDArray at = Metric.atTargets(logits, batch); // [1, T, V]
                float[] v = at.toFloatArray();
                int vocab = (int) at.getShape().get(2);
                for (int t = 0; t < batch.targets(); t++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int k = 0; k < vocab; k++) {
                        max = Math.max(max, v[t * vocab + k]);
                    }
                    float correct = v[t * vocab + batch.correct()[t]];
                    float wrong = v[t * vocab + batch.wrong()[t]];
                    if (correct >= max - 1e-3f && correct > wrong) {
                        ok++;
                    }
                    n++;
                }
            }
        }
        return (double) ok / n;
    }
}
