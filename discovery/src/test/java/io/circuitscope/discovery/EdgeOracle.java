package io.circuitscope.discovery;

import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.reference.RefTensor;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.HashMap;
import java.util.Map;

/**
 * Test oracle for the discovery scorers: a forward pass in {@code double} and plain loops, written from the Hugging
 * Face layout of a {@link TinyCheckpoint} (gpt2; llama and qwen2: RMSNorm, SiLU gate, grouped keys, RoPE, q/k/v
 * biases; gemma2: sandwich norms, (1 + w) scales, soft caps, scaled embedding, GELU gate; gemma3_text: q/k norms,
 * sliding window, two rotary bases; gpt_neox: partial rotary, parallel attention and MLP), that knows the
 * computational graph: every source's output joins the residual stream on its own, and each destination (a head's
 * q, k or v input, an MLP input, the logits) can be pushed by a vector of its own. With sandwich norms a layer's
 * heads reach a destination as N(sum of their results), so a push from one of them goes inside that norm, for that
 * destination alone. It shares no code with the engine's graph, patching or gradient machinery, so a scorer's
 * number can be recomputed from its definition by central differences of {@link #forward}.
 *
 * <p>What one pass does is set by a {@link Pass}: a push at one destination, every node output (or the input alone)
 * interpolated towards a patched value, a shift of one head's attention pattern, and RelP's LRP rules written as a
 * "frozen" forward whose plain derivative is the rules' modified gradient: the normalisation scales 1/sigma of the
 * clean run held constant (LN-rule), each activation f replaced by the line x f(x0)/x0 through the clean point
 * (Identity-rule), a gated product a * u by (a * u0 + a0 * u) / 2 (Half-rule) and, with the AH-rule, the attention
 * pattern held at the clean run's; any subset of the rules. GradDrop holds one layer's outputs at their clean values.
 */
final class EdgeOracle {
    private final String type;
    private final boolean layerNorm; // LayerNorm (gpt2, gpt_neox) or RMSNorm
    private final double normOffset; // Gemma scales by (1 + w)
    final int layers;
    final int heads;
    private final int kvHeads;
    private final int dHead;
    final int d;
    private final int vocab;
    private final double eps;
    private final double embedScale;
    private final double attnScale;
    private final double attnSoftcap;
    private final double finalSoftcap;
    private final boolean sandwich;
    private final boolean parallel;
    private final boolean gated;
    private final String activation;
    private final int rotaryDims;
    private final double[][] invFreq; // [layer][rotaryDims / 2]
    private final Integer[] window; // [layer], null: full causal attention
    private final double[][] embed;
    private final double[][] positions; // GPT-2 only
    private final double[][] unembed;
    private final double[][][] wq;
    private final double[][][] wk;
    private final double[][][] wv; // [layer][out][d]
    private final double[][] bq;
    private final double[][] bk;
    private final double[][] bv; // [layer][out] or null
    private final double[][][] wo; // [layer][d][heads * dHead]
    private final double[][] bo;
    private final double[][] qNorm;
    private final double[][] kNorm; // [layer][dHead] or null
    private final double[][] attnNormW;
    private final double[][] attnNormB;
    private final double[][] mlpNormW;
    private final double[][] mlpNormB;
    private final double[][] postAttnNormW;
    private final double[][] postMlpNormW;
    private final double[][][] wIn; // [layer][m][d] (the up projection of a gated MLP)
    private final double[][][] wGate;
    private final double[][][] wOut; // [layer][d][m]
    private final double[][] bIn;
    private final double[][] bOut;
    private final double[] finalNormW;
    private final double[] finalNormB;

    /** What one pass changes; the default is the clean forward. */
    static final class Pass {
        /** Evaluate the frozen (LRP) forward of {@code rules} with the constants recorded by an earlier clean pass. */
        boolean frozen;
        GradientRules rules = GradientRules.relevance(false);
        /** Where a clean pass records RelP's constants, or a frozen pass reads them. */
        Map<String, double[]> constants;
        /** Every node output becomes patched + nodeAlpha (own - patched) where it joins the stream. */
        double nodeAlpha = 1;
        /** The input alone becomes patched + inputAlpha (own - patched). */
        double inputAlpha = 1;
        double[][][] patched; // [source][s][d]
        /**
         * A destination index (the graph's order) and what is added to its input, [s][d]: to the stream, or with
         * {@code pushLayer >= 0} to that layer's sum of head results before its attention output (norm) is taken.
         */
        int destination = -1;
        double[][] push;
        int pushLayer = -1;
        /** Edges [source][destination] that carry {@code patched} instead of the source's output (ACDC's circuits). */
        boolean[][] patchedEdges;
        /** Added to one source's own output where it is computed, [s][d] (reaching every destination after it). */
        int pushedSource = -1;
        double[][] sourcePush;
        /** GradDrop: layer {@code droppedLayer}'s head results and MLP output are {@code fixedOutputs}' (clean). */
        int droppedLayer = -1;
        double[][][] fixedOutputs;
        /** Layer and head whose attention pattern gets {@code patternShift} [s][s] added after the softmax. */
        int patternLayer = -1;
        int patternHead;
        double[][] patternShift;
        /** Filled in: every source's own output (before interpolation), each layer's head sum, the patterns. */
        double[][][] outputs;
        double[][][] headSums;
        double[][][][] patterns;
    }

    private EdgeOracle(TinyCheckpoint ck) {
        Map<String, Object> c = ck.config();
        Map<String, RefTensor> t = ck.tensors();
        type = (String) c.get("model_type");
        boolean gpt2 = type.equals("gpt2");
        boolean neox = type.equals("gpt_neox");
        boolean gemma3 = type.equals("gemma3_text");
        boolean gemma = type.equals("gemma2") || gemma3;
        if (!(gpt2 || neox || gemma || type.equals("llama") || type.equals("qwen2"))) {
            throw new IllegalArgumentException("the oracle computes gpt2, llama, qwen2, gemma2, gemma3_text and "
                    + "gpt_neox, not " + type);
        }
        layerNorm = gpt2 || neox;
        normOffset = gemma ? 1 : 0;
        layers = num(c, gpt2 ? "n_layer" : "num_hidden_layers");
        heads = num(c, gpt2 ? "n_head" : "num_attention_heads");
        d = num(c, gpt2 ? "n_embd" : "hidden_size");
        kvHeads = gpt2 || neox ? heads : num(c, "num_key_value_heads");
        dHead = gpt2 || neox ? d / heads : num(c, "head_dim");
        vocab = num(c, "vocab_size");
        eps = ((Number) c.get(gpt2 ? "layer_norm_epsilon" : neox ? "layer_norm_eps" : "rms_norm_eps")).doubleValue();
        embedScale = gemma ? Math.sqrt(d) : 1;
        // Gemma scales by query_pre_attn_scalar, 256 when the config leaves it out (Hugging Face's default)
        attnScale = !gemma ? 1 / Math.sqrt(dHead)
                : 1 / Math.sqrt(c.get("query_pre_attn_scalar") == null ? 256 : num(c, "query_pre_attn_scalar"));
        attnSoftcap = type.equals("gemma2") ? 50 : 0; // the Hugging Face defaults, which the tiny configs leave out
        finalSoftcap = type.equals("gemma2") ? 30 : 0;
        sandwich = gemma;
        parallel = neox && Boolean.TRUE.equals(c.get("use_parallel_residual"));
        gated = !(gpt2 || neox);
        activation = gpt2 ? "gelu_new" : neox ? "gelu" : gemma ? "gelu_pytorch_tanh" : "silu";
        rotaryDims = gpt2 ? 0 : neox ? (int) (dHead * ((Number) c.get("rotary_pct")).doubleValue()) : dHead;
        invFreq = new double[layers][rotaryDims / 2];
        window = new Integer[layers];
        for (int l = 0; l < layers; l++) {
            double base = neox ? ((Number) c.get("rotary_emb_base")).doubleValue() : gpt2 ? 1
                    : ((Number) c.get("rope_theta")).doubleValue();
            if (gemma3 && (l + 1) % num(c, "sliding_window_pattern") != 0) { // a sliding layer
                base = ((Number) c.get("rope_local_base_freq")).doubleValue();
                window[l] = num(c, "sliding_window");
            }
            for (int i = 0; i < rotaryDims / 2; i++) {
                invFreq[l][i] = Math.pow(base, -2.0 * i / rotaryDims);
            }
        }
        String e = gpt2 ? "wte.weight" : neox ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight";
        embed = matrix(t.get(e));
        positions = gpt2 ? matrix(t.get("wpe.weight")) : null;
        String u = neox ? "embed_out.weight" : "lm_head.weight";
        unembed = t.containsKey(u) ? matrix(t.get(u)) : embed;
        wq = new double[layers][][];
        wk = new double[layers][][];
        wv = new double[layers][][];
        bq = new double[layers][];
        bk = new double[layers][];
        bv = new double[layers][];
        wo = new double[layers][][];
        bo = new double[layers][];
        qNorm = new double[layers][];
        kNorm = new double[layers][];
        attnNormW = new double[layers][];
        attnNormB = new double[layers][];
        mlpNormW = new double[layers][];
        mlpNormB = new double[layers][];
        postAttnNormW = new double[layers][];
        postMlpNormW = new double[layers][];
        wIn = new double[layers][][];
        wGate = new double[layers][][];
        wOut = new double[layers][][];
        bIn = new double[layers][];
        bOut = new double[layers][];
        for (int l = 0; l < layers; l++) {
            if (gpt2) {
                String p = "h." + l + ".";
                double[][] qkv = transposed(matrix(t.get(p + "attn.c_attn.weight"))); // Conv1D [in, out] -> [out][in]
                double[] qkvBias = vector(t.get(p + "attn.c_attn.bias"));
                wq[l] = java.util.Arrays.copyOfRange(qkv, 0, d);
                wk[l] = java.util.Arrays.copyOfRange(qkv, d, 2 * d);
                wv[l] = java.util.Arrays.copyOfRange(qkv, 2 * d, 3 * d);
                bq[l] = java.util.Arrays.copyOfRange(qkvBias, 0, d);
                bk[l] = java.util.Arrays.copyOfRange(qkvBias, d, 2 * d);
                bv[l] = java.util.Arrays.copyOfRange(qkvBias, 2 * d, 3 * d);
                wo[l] = transposed(matrix(t.get(p + "attn.c_proj.weight")));
                bo[l] = vector(t.get(p + "attn.c_proj.bias"));
                attnNormW[l] = vector(t.get(p + "ln_1.weight"));
                attnNormB[l] = vector(t.get(p + "ln_1.bias"));
                mlpNormW[l] = vector(t.get(p + "ln_2.weight"));
                mlpNormB[l] = vector(t.get(p + "ln_2.bias"));
                wIn[l] = transposed(matrix(t.get(p + "mlp.c_fc.weight")));
                bIn[l] = vector(t.get(p + "mlp.c_fc.bias"));
                wOut[l] = transposed(matrix(t.get(p + "mlp.c_proj.weight")));
                bOut[l] = vector(t.get(p + "mlp.c_proj.bias"));
            } else if (neox) {
                String p = "gpt_neox.layers." + l + ".";
                double[][] qkv = matrix(t.get(p + "attention.query_key_value.weight")); // per head: q | k | v rows
                double[] qkvBias = vector(t.get(p + "attention.query_key_value.bias"));
                wq[l] = new double[d][];
                wk[l] = new double[d][];
                wv[l] = new double[d][];
                bq[l] = new double[d];
                bk[l] = new double[d];
                bv[l] = new double[d];
                for (int h = 0; h < heads; h++) {
                    for (int x = 0; x < dHead; x++) {
                        int row = h * dHead + x;
                        int from = h * 3 * dHead + x;
                        wq[l][row] = qkv[from];
                        wk[l][row] = qkv[from + dHead];
                        wv[l][row] = qkv[from + 2 * dHead];
                        bq[l][row] = qkvBias[from];
                        bk[l][row] = qkvBias[from + dHead];
                        bv[l][row] = qkvBias[from + 2 * dHead];
                    }
                }
                wo[l] = matrix(t.get(p + "attention.dense.weight"));
                bo[l] = vector(t.get(p + "attention.dense.bias"));
                attnNormW[l] = vector(t.get(p + "input_layernorm.weight"));
                attnNormB[l] = vector(t.get(p + "input_layernorm.bias"));
                mlpNormW[l] = vector(t.get(p + "post_attention_layernorm.weight"));
                mlpNormB[l] = vector(t.get(p + "post_attention_layernorm.bias"));
                wIn[l] = matrix(t.get(p + "mlp.dense_h_to_4h.weight"));
                bIn[l] = vector(t.get(p + "mlp.dense_h_to_4h.bias"));
                wOut[l] = matrix(t.get(p + "mlp.dense_4h_to_h.weight"));
                bOut[l] = vector(t.get(p + "mlp.dense_4h_to_h.bias"));
            } else {
                String p = "model.layers." + l + ".";
                wq[l] = matrix(t.get(p + "self_attn.q_proj.weight"));
                wk[l] = matrix(t.get(p + "self_attn.k_proj.weight"));
                wv[l] = matrix(t.get(p + "self_attn.v_proj.weight"));
                bq[l] = vector(t.get(p + "self_attn.q_proj.bias"));
                bk[l] = vector(t.get(p + "self_attn.k_proj.bias"));
                bv[l] = vector(t.get(p + "self_attn.v_proj.bias"));
                wo[l] = matrix(t.get(p + "self_attn.o_proj.weight"));
                bo[l] = vector(t.get(p + "self_attn.o_proj.bias"));
                qNorm[l] = vector(t.get(p + "self_attn.q_norm.weight"));
                kNorm[l] = vector(t.get(p + "self_attn.k_norm.weight"));
                attnNormW[l] = vector(t.get(p + "input_layernorm.weight"));
                if (gemma) {
                    postAttnNormW[l] = vector(t.get(p + "post_attention_layernorm.weight"));
                    mlpNormW[l] = vector(t.get(p + "pre_feedforward_layernorm.weight"));
                    postMlpNormW[l] = vector(t.get(p + "post_feedforward_layernorm.weight"));
                } else {
                    mlpNormW[l] = vector(t.get(p + "post_attention_layernorm.weight"));
                }
                wGate[l] = matrix(t.get(p + "mlp.gate_proj.weight"));
                wIn[l] = matrix(t.get(p + "mlp.up_proj.weight"));
                wOut[l] = matrix(t.get(p + "mlp.down_proj.weight"));
            }
        }
        String finalNorm = gpt2 ? "ln_f" : neox ? "gpt_neox.final_layer_norm" : "model.norm";
        finalNormW = vector(t.get(finalNorm + ".weight"));
        finalNormB = vector(t.get(finalNorm + ".bias"));
    }

    static EdgeOracle of(TinyCheckpoint checkpoint) {
        return new EdgeOracle(checkpoint);
    }

    boolean sandwichNorms() {
        return sandwich;
    }

    int nSources() {
        return 1 + layers * (heads + 1);
    }

    int headSource(int layer, int head) {
        return 1 + layer * (heads + 1) + head;
    }

    int mlpSource(int layer) {
        return 1 + layer * (heads + 1) + heads;
    }

    /** Destination index of head h's q (port 0), k (1) or v (2) input in layer l, in the graph's order. */
    int headDestination(int layer, int port, int head) {
        return layer * (3 * heads + 1) + port * heads + head;
    }

    int mlpDestination(int layer) {
        return layer * (3 * heads + 1) + 3 * heads;
    }

    int logitsDestination() {
        return layers * (3 * heads + 1);
    }

    /** Logits [s][vocab] of one prompt under {@code p}. */
    double[][] forward(int[] tokens, Pass p) {
        int s = tokens.length;
        int nSrc = nSources();
        double[][][] carried = new double[nSrc][][];
        p.outputs = new double[nSrc][][];
        p.headSums = new double[layers][][];
        p.patterns = new double[layers][heads][][];
        double[][] input = new double[s][d];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < d; j++) {
                input[i][j] = embed[tokens[i]][j] * embedScale + (positions == null ? 0 : positions[i][j]);
            }
        }
        join(p, 0, input, carried);
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                double[][] qIn = stream(headDestination(l, 0, h), headSource(l, 0), carried, p);
                double[][] kIn = stream(headDestination(l, 1, h), headSource(l, 0), carried, p);
                double[][] vIn = stream(headDestination(l, 2, h), headSource(l, 0), carried, p);
                double[][] pattern = pattern(l, h, qIn, kIn, p);
                if (p.patternLayer == l && p.patternHead == h) {
                    pattern = added(pattern, p.patternShift);
                }
                p.patterns[l][h] = pattern;
                double[][] v = project(l, 2, h, vIn, p);
                double[][] result = new double[s][d];
                for (int i = 0; i < s; i++) {
                    double[] z = new double[dHead];
                    for (int j = 0; j <= i; j++) {
                        for (int e = 0; e < dHead; e++) {
                            z[e] += pattern[i][j] * v[j][e];
                        }
                    }
                    for (int o = 0; o < d; o++) {
                        double acc = 0;
                        for (int e = 0; e < dHead; e++) {
                            acc += wo[l][o][h * dHead + e] * z[e];
                        }
                        result[i][o] = acc;
                    }
                }
                join(p, headSource(l, h), result, carried);
            }
            p.headSums[l] = headSum(l, carried);
            double[][] mlpIn = stream(mlpDestination(l), parallel ? headSource(l, 0) : mlpSource(l), carried, p);
            double[][] out = new double[s][];
            for (int i = 0; i < s; i++) {
                out[i] = mlp(l, i, norm("mlp/" + l + "/" + i, mlpIn[i], mlpNormW[l], mlpNormB[l], p), p);
                if (sandwich) {
                    out[i] = norm("post-mlp/" + l + "/" + i, out[i], postMlpNormW[l], null, p);
                }
            }
            join(p, mlpSource(l), out, carried);
        }
        double[][] last = stream(logitsDestination(), nSrc, carried, p);
        double[][] logits = new double[s][vocab];
        for (int i = 0; i < s; i++) {
            double[] x = norm("final/" + i, last[i], finalNormW, finalNormB, p);
            for (int v = 0; v < vocab; v++) {
                logits[i][v] = softcap(dot(unembed[v], x), finalSoftcap);
            }
        }
        return logits;
    }

    /**
     * What destination {@code destination} reads: the input, the MLPs and, per layer whose heads are all among the
     * first {@code upstream} sources, that layer's attention output of its heads' sum (plus the push when the push
     * goes inside that layer), all as carried; then the push, when it goes to the stream.
     */
    private double[][] stream(int destination, int upstream, double[][][] carried, Pass p) {
        boolean pushed = p.destination == destination;
        double[][] out = new double[carried[0].length][d];
        for (int src = 0; src < upstream; src++) {
            if (src == 0 || (src - 1) % (heads + 1) == heads) { // the input and the MLPs
                accumulate(out, along(src, destination, carried, p));
            }
        }
        for (int l = 0; headSource(l, heads - 1) < upstream; l++) {
            double[][] sum = new double[carried[0].length][d];
            for (int h = 0; h < heads; h++) {
                accumulate(sum, along(headSource(l, h), destination, carried, p));
            }
            if (pushed && p.pushLayer == l) {
                sum = added(sum, p.push);
            }
            accumulate(out, attentionOutput(l, sum, p));
        }
        if (pushed && p.pushLayer < 0) {
            accumulate(out, p.push);
        }
        return out;
    }

    /** What the edge from {@code source} brings {@code destination}: the source's output, or its patched one. */
    private static double[][] along(int source, int destination, double[][][] carried, Pass p) {
        return p.patchedEdges != null && p.patchedEdges[source][destination] ? p.patched[source] : carried[source];
    }

    /** Layer l's head results as carried, summed, [s][d]. */
    private double[][] headSum(int l, double[][][] carried) {
        double[][] sum = new double[carried[0].length][d];
        for (int h = 0; h < heads; h++) {
            accumulate(sum, carried[headSource(l, h)]);
        }
        return sum;
    }

    /** What layer l's attention adds to the stream for a sum of head results [s][d]: bias, then any post-norm. */
    double[][] attentionOutput(int l, double[][] headSum, Pass p) {
        double[][] out = new double[headSum.length][];
        for (int i = 0; i < headSum.length; i++) {
            out[i] = headSum[i].clone();
            if (bo[l] != null) {
                for (int j = 0; j < d; j++) {
                    out[i][j] += bo[l][j];
                }
            }
            if (sandwich) {
                out[i] = norm("post-attn/" + l + "/" + i, out[i], postAttnNormW[l], null, p);
            }
        }
        return out;
    }

    /** Head h's attention pattern [s][s] in layer l, queries from {@code qIn} and keys from {@code kIn}. */
    double[][] pattern(int l, int h, double[][] qIn, double[][] kIn, Pass p) {
        int s = qIn.length;
        double[][] q = project(l, 0, h, qIn, p);
        double[][] k = project(l, 1, h, kIn, p);
        double[][] a = new double[s][s];
        for (int i = 0; i < s; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                a[i][j] = softcap(dot(q[i], k[j]) * attnScale, attnSoftcap);
                if (window[l] == null || i - j < window[l]) {
                    max = Math.max(max, a[i][j]);
                }
            }
            double total = 0;
            for (int j = 0; j <= i; j++) {
                a[i][j] = window[l] == null || i - j < window[l] ? Math.exp(a[i][j] - max) : 0;
                total += a[i][j];
            }
            for (int j = 0; j <= i; j++) {
                a[i][j] /= total;
            }
            a[i] = constant(p, p.rules.constantAttention(), "pattern/" + l + "/" + h + "/" + i, a[i]); // AH-rule
        }
        return a;
    }

    /** Head h's queries (port 0), keys (1) or values (2) [s][dHead] from its own input [s][d]; q/k norm, rotary. */
    private double[][] project(int l, int port, int h, double[][] in, Pass p) {
        double[][] w = port == 0 ? wq[l] : port == 1 ? wk[l] : wv[l];
        double[] b = port == 0 ? bq[l] : port == 1 ? bk[l] : bv[l];
        int stored = port == 0 ? h : h / (heads / kvHeads); // grouped keys and values: query head h reads h / group
        double[][] out = new double[in.length][dHead];
        for (int i = 0; i < in.length; i++) {
            double[] x = norm("attn/" + l + "/" + i, in[i], attnNormW[l], attnNormB[l], p);
            for (int e = 0; e < dHead; e++) {
                int row = stored * dHead + e;
                out[i][e] = dot(w[row], x) + (b == null ? 0 : b[row]);
            }
            if (port < 2 && qNorm[l] != null) { // RMSNorm over the head, before the rotation
                String key = (port == 0 ? "q-norm/" : "k-norm/") + l + "/" + h + "/" + i;
                out[i] = rms(key, out[i], port == 0 ? qNorm[l] : kNorm[l], p);
            }
            if (port < 2) {
                rotate(out[i], i, invFreq[l]);
            }
        }
        return out;
    }

    /** Rotate-half RoPE over the first rotaryDims dimensions of the head at position {@code pos}. */
    private void rotate(double[] x, int pos, double[] frequencies) {
        int half = rotaryDims / 2;
        for (int i = 0; i < half; i++) {
            double angle = pos * frequencies[i];
            double a = x[i];
            double b = x[i + half];
            x[i] = a * Math.cos(angle) - b * Math.sin(angle);
            x[i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
    }

    /** The model's norm (LayerNorm or RMSNorm); frozen: 1/sigma is the clean run's (the mean is still subtracted). */
    private double[] norm(String key, double[] x, double[] w, double[] b, Pass p) {
        return layerNorm ? normalised(key, x, w, b, true, p) : rms(key, x, w, p);
    }

    private double[] rms(String key, double[] x, double[] w, Pass p) {
        return normalised(key, x, w, null, false, p);
    }

    private double[] normalised(String key, double[] x, double[] w, double[] b, boolean centre, Pass p) {
        int n = x.length;
        double[] c = x.clone();
        if (centre) {
            double mean = 0;
            for (double v : x) {
                mean += v / n;
            }
            for (int i = 0; i < n; i++) {
                c[i] -= mean;
            }
        }
        double square = 0;
        for (double v : c) {
            square += v * v / n;
        }
        double inverse = constant(p, p.rules.constantNormScale(), key, new double[] {1 / Math.sqrt(square + eps)})[0];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = c[i] * inverse * (normOffset + w[i]) + (b == null ? 0 : b[i]);
        }
        return y;
    }

    /** The MLP of layer l on one normalised position; frozen: Identity-rule activation and Half-rule gate. */
    private double[] mlp(int l, int pos, double[] x, Pass p) {
        int m = wIn[l].length;
        double[] pre = new double[m];
        double[] up = new double[m];
        for (int u = 0; u < m; u++) {
            pre[u] = dot(gated ? wGate[l][u] : wIn[l][u], x) + (gated || bIn[l] == null ? 0 : bIn[l][u]);
            up[u] = gated ? dot(wIn[l][u], x) : 1;
        }
        String key = "act/" + l + "/" + pos;
        double[] ratio = new double[m];
        double[] activated = new double[m];
        for (int u = 0; u < m; u++) {
            activated[u] = activation(pre[u]);
            ratio[u] = activated[u] / pre[u];
        }
        ratio = constant(p, true, key + "/ratio", ratio);
        double[] cleanActivated = constant(p, true, key + "/a", activated);
        double[] cleanUp = constant(p, true, key + "/up", up);
        double[] post = new double[m];
        for (int u = 0; u < m; u++) {
            double a = p.frozen && p.rules.identityActivation() ? pre[u] * ratio[u] : activated[u];
            boolean half = p.frozen && p.rules.halfGates() && gated;
            post[u] = half ? 0.5 * (a * cleanUp[u] + cleanActivated[u] * up[u]) : a * up[u];
        }
        double[] out = new double[d];
        for (int o = 0; o < d; o++) {
            out[o] = dot(wOut[l][o], post) + (bOut[l] == null ? 0 : bOut[l][o]);
        }
        return out;
    }

    private double activation(double x) {
        switch (activation) {
            case "silu":
                return x / (1 + Math.exp(-x));
            case "gelu":
                return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            default: // gelu_new, gelu_pytorch_tanh
                return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        }
    }

    /** erf by its all-positive series, to about double precision for |x| <= 6. */
    private static double erf(double x) {
        double ax = Math.abs(x);
        if (ax > 6) {
            return Math.signum(x);
        }
        double term = ax;
        double sum = ax;
        for (int n = 1; n < 1000 && term > sum * 1e-17; n++) {
            term *= 2 * ax * ax / (2 * n + 1);
            sum += term;
        }
        double r = 2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum;
        return x < 0 ? -r : r;
    }

    private static double softcap(double x, double cap) {
        return cap > 0 ? cap * Math.tanh(x / cap) : x;
    }

    /**
     * In a frozen pass whose rules hold this quantity ({@code held}), the recorded clean value; in a clean pass with
     * constants, records {@code value}.
     */
    private static double[] constant(Pass p, boolean held, String key, double[] value) {
        if (p.constants == null || (p.frozen && !held)) {
            return value;
        }
        if (p.frozen) {
            double[] recorded = p.constants.get(key);
            if (recorded == null) {
                throw new IllegalStateException("no clean constant " + key);
            }
            return recorded;
        }
        p.constants.put(key, value.clone());
        return value;
    }

    /** Records a source's own output and joins it to the stream, interpolated as the pass says. */
    private void join(Pass p, int source, double[][] own, double[][][] carried) {
        if (source > 0 && (source - 1) / (heads + 1) == p.droppedLayer) {
            own = p.fixedOutputs[source]; // nothing downstream of this output moves it: its gradient is dropped
        }
        if (source == p.pushedSource) {
            own = added(own, p.sourcePush);
        }
        p.outputs[source] = own;
        double alpha = source == 0 ? p.inputAlpha * p.nodeAlpha : p.nodeAlpha;
        if (alpha == 1) {
            carried[source] = own;
            return;
        }
        double[][] patched = p.patched[source];
        double[][] out = new double[own.length][own[0].length];
        for (int i = 0; i < own.length; i++) {
            for (int j = 0; j < own[0].length; j++) {
                out[i][j] = patched[i][j] + alpha * (own[i][j] - patched[i][j]);
            }
        }
        carried[source] = out;
    }

    private static void accumulate(double[][] into, double[][] x) {
        for (int i = 0; i < into.length; i++) {
            for (int j = 0; j < into[i].length; j++) {
                into[i][j] += x[i][j];
            }
        }
    }

    static double[][] added(double[][] a, double[][] b) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                out[i][j] = a[i][j] + b[i][j];
            }
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double acc = 0;
        for (int i = 0; i < a.length; i++) {
            acc += a[i] * b[i];
        }
        return acc;
    }

    private static int num(Map<String, Object> c, String key) {
        return ((Number) c.get(key)).intValue();
    }

    private static double[][] matrix(RefTensor t) {
        int rows = t.shape()[0];
        int cols = t.shape()[1];
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r][c] = t.data()[r * cols + c];
            }
        }
        return out;
    }

    private static double[][] transposed(double[][] m) {
        double[][] out = new double[m[0].length][m.length];
        for (int r = 0; r < m.length; r++) {
            for (int c = 0; c < m[0].length; c++) {
                out[c][r] = m[r][c];
            }
        }
        return out;
    }

    private static double[] vector(RefTensor t) {
        if (t == null) {
            return null;
        }
        double[] out = new double[t.data().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.data()[i];
        }
        return out;
    }

    /** A fresh constants store for a clean pass to record into and frozen passes to read. */
    static Map<String, double[]> newConstants() {
        return new HashMap<>();
    }
}
