package io.circuitscope.discovery.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.NormType;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Direct logit attribution of the logit difference (correct - wrong) at every target: the final residual stream is
 * the sum of the embeddings, every head's {@code hook_result}, each attention layer's output bias and every MLP
 * output; the final norm is treated as fixed at its clean scale (the per-target LayerNorm standard deviation or
 * RMS of the final residual stream, with the centring applied to each component, which is linear), so each
 * component's contribution is {@code norm_w * (c - mean c) / scale} projected on {@code W_U[:, correct] - W_U[:, wrong]}.
 * The remaining {@code bias} term (final-norm bias and unembedding bias) makes the components sum exactly to the
 * logit difference.
 *
 * <p>Gemma 2/3's sandwich norms are treated as the final norm is: each layer's post-attention norm is fixed at its
 * clean scale, so head h writes {@code N'(result_h)}, the norm's derivative at the layer's clean output with the
 * scale held constant (linear), and the heads and the output bias sum exactly to the normalised attention
 * output. The MLP outputs are read after their post-feedforward norm. With a final logit soft-cap (Gemma 2)
 * the attribution is of the logit difference before the cap (the final norm's output times the unembedding),
 * which is the linear one; {@link Result#softcap} says so.
 */
public final class DirectLogitAttribution {
    /** Components in order, mean over targets: embed, per layer heads, attention bias and MLP, then bias. */
    /**
     * @param logitDiff the mean logit difference the components sum to: before the final soft-cap when
     *                  {@code softcap > 0}
     * @param softcap   the model's final logit soft-cap, 0 for none
     */
    public record Result(double logitDiff, Map<String, Double> components, double[][] heads, double[] attnLayers,
            double[] mlpLayers, double embed, double bias, double softcap) {
        public double sum() {
            return components.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    /** Norm scales held constant (the LN-rule): the norm's derivative is then linear and exact for the sum. */
    private static final GradientRules SCALE_FIXED = GradientRules.parse("ln");

    private DirectLogitAttribution() {
    }

    /** Before any pass, the first target without a wrong answer, named (the batches would only say that one lacks it). */
    private static void requireWrongAnswers(Task task) {
        for (int i = 0; i < task.examples().size(); i++) {
            java.util.List<io.circuitscope.core.task.Target> targets = task.examples().get(i).targets();
            for (int t = 0; t < targets.size(); t++) {
                if (targets.get(t).wrongIds().isEmpty()) {
                    throw new IllegalArgumentException("direct logit attribution of the logit difference needs a wrong "
                            + "answer for every target, but in task '" + task.name() + "' example " + (i + 1)
                            + ", targets[" + t + "] has none (wrong_id / wrong)");
                }
            }
        }
    }

    public static Result run(HookedTransformer model, Task task) {
        requireWrongAnswers(task);
        task.requireSingleTokenAnswers("direct logit attribution (a logit difference is one direction in the residual stream)");
        ModelConfig c = model.config();
        int layers = c.nLayers();
        int heads = c.nHeads();
        int d = c.dModel();
        Set<HookName> names = new HashSet<>();
        names.add(HookName.of(HookSite.RESID_PRE, 0));
        names.add(HookName.of(HookSite.RESID_POST, layers - 1));
        boolean capped = c.finalSoftcap() > 0;
        if (capped) {
            names.add(HookName.of(HookSite.FINAL_NORM));
        }
        for (int l = 0; l < layers; l++) {
            names.add(HookName.of(HookSite.RESULT, l));
            names.add(HookName.of(HookSite.ATTN_OUT, l));
            names.add(HookName.of(HookSite.MLP_OUT, l));
        }
        // models without normalisation (the planted ones) have no final norm weight: the scale is 1
        float[] normW = model.weights().finalNormWeight() == null ? null : floats(model.weights().finalNormWeight());
        float[] normB = model.weights().finalNormBias() == null ? null : floats(model.weights().finalNormBias());
        float[] wU = floats(model.weights().wU()); // [d, vocab]
        float[] bU = model.weights().bU() == null ? null : floats(model.weights().bU());
        int vocab = c.vocabSize();
        double[][] headSum = new double[layers][heads];
        double[] attnBias = new double[layers];
        double[] mlp = new double[layers];
        double embed = 0;
        double bias = 0;
        double logitDiff = 0;
        int targets = 0;
        for (Batch batch : task.batches(64)) {
            if (!batch.hasWrongAnswers()) {
                throw new IllegalArgumentException("direct logit attribution of the logit difference needs a wrong "
                        + "answer for every target");
            }
            try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.of(run, names)) {
                NDArray logits = model.forward(run, batch.clean(), Hooks.caching(cache));
                float[] lg = floats(io.circuitscope.core.task.Metric.atTargets(logits, batch).get(0));
                float[] normed = capped ? atTargets(cache.get(HookName.of(HookSite.FINAL_NORM)), batch) : null; // [T, d]
                float[] fin = atTargets(cache.get(HookSite.RESID_POST, layers - 1), batch);
                float[] emb = atTargets(cache.get(HookSite.RESID_PRE, 0), batch);
                float[][] res = new float[layers][];
                float[][] attn = new float[layers][];
                float[][] mlpOut = new float[layers][];
                for (int l = 0; l < layers; l++) {
                    NDArray result = cache.get(HookSite.RESULT, l); // [B, s, H, d]
                    res[l] = atTargets(c.sandwichNorms() ? throughPostAttentionNorm(model, run, l, result) : result,
                            batch); // [T, H, d]
                    attn[l] = atTargets(cache.get(HookSite.ATTN_OUT, l), batch);
                    mlpOut[l] = atTargets(cache.get(HookSite.MLP_OUT, l), batch);
                }
                int[] correct = batch.correct();
                int[] wrong = batch.wrong();
                for (int t = 0; t < batch.targets(); t++) {
                    int cor = correct[t];
                    int wr = wrong[t];
                    double[] dir = new double[d];
                    for (int i = 0; i < d; i++) {
                        dir[i] = (normW == null ? 1 : normW[i]) * ((double) wU[i * vocab + cor] - wU[i * vocab + wr]);
                    }
                    double scale = scale(c, fin, t * d, d);
                    boolean centre = c.normType() == NormType.LAYER_NORM;
                    embed += project(emb, t * d, d, dir, scale, centre);
                    for (int l = 0; l < layers; l++) {
                        double headTotal = 0;
                        for (int h = 0; h < heads; h++) {
                            double v = project(res[l], (t * heads + h) * d, d, dir, scale, centre);
                            headSum[l][h] += v;
                            headTotal += v;
                        }
                        attnBias[l] += project(attn[l], t * d, d, dir, scale, centre) - headTotal;
                        mlp[l] += project(mlpOut[l], t * d, d, dir, scale, centre);
                    }
                    double b = 0;
                    if (normB != null) {
                        for (int i = 0; i < d; i++) {
                            b += normB[i] * ((double) wU[i * vocab + cor] - wU[i * vocab + wr]);
                        }
                    }
                    if (bU != null) {
                        b += bU[cor] - bU[wr];
                    }
                    bias += b;
                    logitDiff += capped ? beforeCap(normed, t, d, wU, bU, vocab, cor, wr)
                            : lg[t * vocab + cor] - lg[t * vocab + wr];
                    targets++;
                }
            }
        }
        Map<String, Double> components = new LinkedHashMap<>();
        components.put("embed", embed / targets);
        double[] attnLayers = new double[layers];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                headSum[l][h] /= targets;
                components.put("a" + l + ".h" + h, headSum[l][h]);
                attnLayers[l] += headSum[l][h];
            }
            attnBias[l] /= targets;
            attnLayers[l] += attnBias[l];
            components.put("a" + l + ".bias", attnBias[l]);
            mlp[l] /= targets;
            components.put("m" + l, mlp[l]);
        }
        components.put("bias", bias / targets);
        return new Result(logitDiff / targets, components, headSum, attnLayers, mlp, embed / targets, bias / targets,
                c.finalSoftcap());
    }

    /** Target t's logit difference before the final soft-cap, from the final norm's output {@code normed} [T, d]. */
    private static double beforeCap(float[] normed, int t, int d, float[] wU, float[] bU, int vocab, int cor, int wr) {
        double diff = bU == null ? 0 : (double) bU[cor] - bU[wr];
        for (int i = 0; i < d; i++) {
            diff += normed[t * d + i] * ((double) wU[i * vocab + cor] - wU[i * vocab + wr]);
        }
        return diff;
    }

    /**
     * What each head of layer {@code l} writes to the residual stream with the post-attention norm fixed at its
     * clean scale: the norm's derivative at the heads' sum in each head's direction, [B, s, H, d].
     */
    private static NDArray throughPostAttentionNorm(HookedTransformer model, NDManager run, int l, NDArray result) {
        NDArray headSum = result.sum(new int[] {2}, true); // [B, s, 1, d]
        return model.attentionOutputDerivative(run, l, headSum, result, SCALE_FIXED);
    }

    private static double scale(ModelConfig c, float[] x, int off, int d) {
        double mean = 0;
        if (c.normType() == NormType.LAYER_NORM) {
            for (int i = 0; i < d; i++) {
                mean += x[off + i];
            }
            mean /= d;
        } else if (c.normType() == NormType.NONE) {
            return 1.0;
        }
        double sq = 0;
        for (int i = 0; i < d; i++) {
            sq += (x[off + i] - mean) * (x[off + i] - mean);
        }
        return Math.sqrt(sq / d + c.normEps());
    }

    private static double project(float[] x, int off, int d, double[] dir, double scale, boolean centre) {
        double mean = 0;
        if (centre) {
            for (int i = 0; i < d; i++) {
                mean += x[off + i];
            }
            mean /= d;
        }
        double s = 0;
        for (int i = 0; i < d; i++) {
            s += (x[off + i] - mean) * dir[i];
        }
        return s / scale;
    }

    /** Rows of an activation [B, s, ...] at every target, flattened [T, ...]. */
    static float[] atTargets(NDArray x, Batch batch) {
        long[] shape = x.getShape().getShape();
        long inner = 1;
        for (int i = 2; i < shape.length; i++) {
            inner *= shape[i];
        }
        float[] all = floats(x);
        float[] out = new float[(int) (batch.targets() * inner)];
        for (int t = 0; t < batch.targets(); t++) {
            long row = (long) batch.row()[t] * shape[1] + batch.position()[t];
            System.arraycopy(all, (int) (row * inner), out, (int) (t * inner), (int) inner);
        }
        return out;
    }

    static float[] floats(NDArray x) {
        return x.toType(DataType.FLOAT32, false).toFloatArray();
    }
}
