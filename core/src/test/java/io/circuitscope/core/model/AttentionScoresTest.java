package io.circuitscope.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attention softmax recomputed in pieces is the forward pass's pattern, and both are the pattern computed
 * here in double precision from the residual stream and the layer's weights, on every attention variant.
 */
class AttentionScoresTest {
    static Stream<TinyCheckpoint> models() {
        return Stream.of(TinyCheckpoint.gpt2(3, 2, 3, 4, 29, 16, false),
                TinyCheckpoint.llamaFamily("llama", 5, 2, 4, 2, 4, 12, 20, 29, 16, false, false), // GQA, RoPE
                TinyCheckpoint.llamaFamily("qwen3", 7, 2, 4, 2, 8, 12, 20, 29, 16, true, false), // q/k norms
                TinyCheckpoint.llamaFamily("gemma2", 9, 2, 4, 2, 6, 16, 24, 29, 16, true, false)
                        .withConfig("sliding_window", 3).withConfig("attn_logit_softcapping", 2.0), // window, cap
                TinyCheckpoint.gptNeox(11, 2, 2, 8, 29, 16, 0.25, true), // partial rotary
                TinyCheckpoint.gemma3(13, 3, 4, 2, 8, 12, 24, 29, 16, 3, 2)); // q/k norms, window, two rope bases
    }

    @ParameterizedTest
    @MethodSource("models")
    void patternOfQueriesAndKeysIsTheForwardPattern(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            Random rng = new Random(1);
            int[][] tokens = new int[2][9];
            for (int[] row : tokens) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = rng.nextInt(model.config().vocabSize());
                }
            }
            ActivationCache cache = new ActivationCache(run,
                    name -> name.site() == HookSite.RESID_PRE || name.site() == HookSite.PATTERN);
            model.forward(run, tokens, Hooks.builder().cache(cache).build());
            for (int l = 0; l < model.config().nLayers(); l++) {
                AttentionScores scores = model.attentionScores(run, l);
                NDArray resid = cache.get(HookSite.RESID_PRE, l);
                NDArray recomputed = scores.pattern(scores.queries(resid), scores.keys(resid));
                float diff = recomputed.sub(cache.get(HookSite.PATTERN, l)).abs().max().getFloat();
                assertEquals(0f, diff, 1e-5f, "layer " + l);
                assertArrayEquals(referencePattern(model.config(), model.weights().layer(l), l, resid),
                        cache.get(HookSite.PATTERN, l).toFloatArray(), 2e-5f, "layer " + l + " against the reference");
            }
            cache.close();
        }
    }

    /**
     * Layer {@code l}'s pattern [b, h, s_q, s_k] flattened, in double precision from the residual input: the
     * attention norm, per-head projections (query head h reads key head h / (nHeads / nKvHeads)), q/k norms,
     * rotate-half rotary on the first rotaryDim dimensions, scale, soft cap, causal and sliding-window mask.
     */
    private static float[] referencePattern(ModelConfig c, LayerWeights w, int l, NDArray resid) {
        int b = (int) resid.getShape().get(0);
        int s = (int) resid.getShape().get(1);
        int d = c.dModel();
        int e = c.dHead();
        int heads = c.nHeads();
        int group = heads / c.nKvHeads();
        double[] x = toDoubles(resid);
        float[] pattern = new float[b * heads * s * s];
        for (int bi = 0; bi < b; bi++) {
            double[][] normed = new double[s][];
            for (int p = 0; p < s; p++) {
                normed[p] = norm(c.normType(), c.normEps(), java.util.Arrays.copyOfRange(x, (bi * s + p) * d,
                        (bi * s + p + 1) * d), toDoubles(w.attnNormWeight()), toDoubles(w.attnNormBias()));
            }
            for (int h = 0; h < heads; h++) {
                double[][] q = new double[s][];
                double[][] k = new double[s][];
                for (int p = 0; p < s; p++) {
                    q[p] = headOf(c, normed[p], w.wQ(), w.bQ(), h, w.qNormWeight(), p, l);
                    k[p] = headOf(c, normed[p], w.wK(), w.bK(), h / group, w.kNormWeight(), p, l);
                }
                for (int i = 0; i < s; i++) {
                    double[] score = new double[s];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < s; j++) {
                        boolean visible = j <= i && (!c.isSlidingLayer(l) || i - j < c.slidingWindow());
                        double dot = 0;
                        for (int t = 0; t < e; t++) {
                            dot += q[i][t] * k[j][t];
                        }
                        dot *= c.attnScale(l);
                        dot = c.attnSoftcap() > 0 ? c.attnSoftcap() * Math.tanh(dot / c.attnSoftcap()) : dot;
                        score[j] = visible ? dot : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, score[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < s; j++) {
                        score[j] = Math.exp(score[j] - max);
                        sum += score[j];
                    }
                    for (int j = 0; j < s; j++) {
                        pattern[((bi * heads + h) * s + i) * s + j] = (float) (score[j] / sum);
                    }
                }
            }
        }
        return pattern;
    }

    /** Head {@code head}'s projection [e] of one normed position: weight columns head*e.., bias, q/k norm, rotary. */
    private static double[] headOf(ModelConfig c, double[] normed, NDArray weight, NDArray bias, int head,
            NDArray headNorm, int pos, int layer) {
        int e = c.dHead();
        double[] wt = toDoubles(weight); // [d, stored heads * e]
        int cols = (int) weight.getShape().get(1);
        double[] out = new double[e];
        double[] bs = toDoubles(bias);
        for (int t = 0; t < e; t++) {
            double v = bs == null ? 0 : bs[head * e + t];
            for (int i = 0; i < normed.length; i++) {
                v += normed[i] * wt[i * cols + head * e + t];
            }
            out[t] = v;
        }
        if (c.qkNorm()) {
            out = norm(NormType.RMS_NORM, c.normEps(), out, toDoubles(headNorm), null);
        }
        Rotary rotary = c.rotaryFor(layer);
        if (rotary != null) {
            assertEquals(RotaryStyle.HALVES, rotary.style());
            int half = rotary.rotaryDim() / 2;
            double[] inv = rotary.inverseFrequencies();
            double[] rotated = out.clone();
            for (int i = 0; i < half; i++) {
                double cos = Math.cos(pos * inv[i]);
                double sin = Math.sin(pos * inv[i]);
                rotated[i] = out[i] * cos - out[i + half] * sin;
                rotated[i + half] = out[i + half] * cos + out[i] * sin;
            }
            out = rotated;
        }
        return out;
    }

    private static double[] norm(NormType type, double eps, double[] x, double[] weight, double[] bias) {
        if (type == NormType.NONE) {
            return x;
        }
        double mean = type == NormType.LAYER_NORM ? java.util.Arrays.stream(x).average().orElseThrow() : 0;
        double[] y = java.util.Arrays.stream(x).map(v -> v - mean).toArray();
        double scale = 1 / Math.sqrt(java.util.Arrays.stream(y).map(v -> v * v).average().orElseThrow() + eps);
        for (int i = 0; i < y.length; i++) {
            y[i] = y[i] * scale * (weight == null ? 1 : weight[i]) + (bias == null ? 0 : bias[i]);
        }
        return y;
    }

    private static double[] toDoubles(NDArray a) {
        if (a == null) {
            return null;
        }
        float[] f = a.toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }
}
