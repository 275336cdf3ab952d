package io.circuitscope.discovery.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The logit lens: the residual stream after the embedding and after every layer, put through the model's own
 * final norm (recomputed on that stream) and unembedding, at every target of the task's clean prompts.
 * A target's numbers are those of the {@code rank} and {@code logprob} metrics, so at the last layer they are the
 * model's own: for an answer set, the rank of its best token and the log of its summed probability.
 */
public final class LogitLens {
    /**
     * One target at one layer: its example's index in the task (file order, from 0), the correct answer's rank
     * (1 = top; an answer set's best token) and log-probability (an answer set's summed probability), and the
     * top-k tokens.
     */
    public record TargetView(int example, int position, int[] correctIds, int rank, double logProb, int[] topIds,
            double[] topProbs) {
    }

    /** {@code layer} is -1 for the embeddings (resid_pre 0), otherwise resid_post of that layer. */
    public record Layer(int layer, String name, double meanRank, double meanLogProb, List<TargetView> targets) {
    }

    private LogitLens() {
    }

    public static List<Layer> run(HookedTransformer model, Task task, int topK) {
        int layers = model.config().nLayers();
        Set<HookName> names = new HashSet<>();
        names.add(HookName.of(HookSite.RESID_PRE, 0));
        for (int l = 0; l < layers; l++) {
            names.add(HookName.of(HookSite.RESID_POST, l));
        }
        List<List<TargetView>> perLayer = new ArrayList<>();
        for (int l = 0; l <= layers; l++) {
            perLayer.add(new ArrayList<>());
        }
        for (Task.IndexedBatch indexed : task.indexedBatches(64)) {
            Batch batch = indexed.batch(); // grouped by length: a row's example is indexed.examples()[row]
            try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.of(run, names)) {
                model.forward(run, batch.clean(), Hooks.caching(cache));
                for (int l = -1; l < layers; l++) {
                    NDArray resid = l < 0 ? cache.get(HookSite.RESID_PRE, 0) : cache.get(HookSite.RESID_POST, l);
                    NDArray logProbs = model.logitsOfResidual(run, resid).logSoftmax(-1);
                    NDArray at = io.circuitscope.core.task.Metric.atTargets(logProbs, batch).get(0); // [T, vocab]
                    float[] flat = at.toType(DataType.FLOAT32, false).toFloatArray();
                    int vocab = (int) at.getShape().get(1);
                    for (int t = 0; t < batch.targets(); t++) {
                        perLayer.get(l + 1).add(view(flat, t * vocab, vocab, indexed.examples()[batch.row()[t]],
                                batch.position()[t], batch.correctSets()[t], topK));
                    }
                }
            }
        }
        List<Layer> out = new ArrayList<>();
        for (int l = -1; l < layers; l++) {
            List<TargetView> views = perLayer.get(l + 1);
            out.add(new Layer(l, l < 0 ? "embed" : "L" + l, views.stream().mapToInt(TargetView::rank).average().orElse(0),
                    views.stream().mapToDouble(TargetView::logProb).average().orElse(0), views));
        }
        return out;
    }

    private static TargetView view(float[] lp, int off, int vocab, int example, int position, int[] correct, int topK) {
        float bestCorrect = Float.NEGATIVE_INFINITY;
        for (int c : correct) {
            bestCorrect = Math.max(bestCorrect, lp[off + c]);
        }
        double summed = 0;
        for (int c : correct) {
            summed += Math.exp(lp[off + c] - bestCorrect);
        }
        double logProb = bestCorrect + Math.log(summed);
        int rank = 1; // as the rank metric: every token outside the correct set at or above its best (ties count against it)
        for (int v = 0; v < vocab; v++) {
            if (lp[off + v] >= bestCorrect && !contains(correct, v)) {
                rank++;
            }
        }
        int k = Math.min(topK, vocab);
        int[] top = new int[k];
        double[] probs = new double[k];
        boolean[] used = new boolean[vocab];
        for (int i = 0; i < k; i++) {
            int best = -1;
            for (int v = 0; v < vocab; v++) {
                if (!used[v] && (best < 0 || lp[off + v] > lp[off + best])) {
                    best = v;
                }
            }
            used[best] = true;
            top[i] = best;
            probs[i] = Math.exp(lp[off + best]);
        }
        return new TargetView(example, position, correct, rank, logProb, top, probs);
    }

    private static boolean contains(int[] tokens, int token) {
        for (int t : tokens) {
            if (t == token) {
                return true;
            }
        }
        return false;
    }
}
