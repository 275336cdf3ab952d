package io.circuitscope.discovery;

import io.circuitscope.core.reference.RefTensor;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.HashMap;
import java.util.Map;

/**
 * Test oracle for the discovery scorers: a GPT-2 or Llama-family (llama, qwen2: RMSNorm, SiLU gate, grouped keys,
 * rotate-half RoPE, optional q/k/v biases) forward pass in {@code double} and plain loops, written from the Hugging
 * Face layout of a {@link TinyCheckpoint}, that knows the computational graph: every source's output joins the
 * residual stream on its own, and each destination (a head's q, k or v input, an MLP input, the logits) can be
 * pushed by a vector of its own. It shares no code with the engine's graph, patching or gradient machinery, so a
 * scorer's number can be recomputed from its definition by central differences of {@link #forward}.
 *
 * <p>What one pass does is set by a {@link Pass}: a push at one destination, every node output (or the input alone)
 * interpolated towards a patched value, a shift of one head's attention pattern, and RelP's LRP rules written as a
 * "frozen" forward whose plain derivative is the rules' modified gradient: the normalisation scales 1/sigma of the
 * clean run held constant (LN-rule), each activation f replaced by the line x f(x0)/x0 through the clean point
 * (Identity-rule), and a gated product a * u by (a * u0 + a0 * u) / 2 (Half-rule).
 */
final class EdgeOracle {
    private final boolean llama;
    final int layers;
    final int heads;
    private final int kvHeads;
    private final int dHead;
    final int d;
    private final int vocab;
    private final double eps;
    private final double theta;
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
    private final double[][] attnNormW;
    private final double[][] attnNormB;
    private final double[][] mlpNormW;
    private final double[][] mlpNormB;
    private final double[][][] wIn; // [layer][m][d]
    private final double[][][] wGate;
    private final double[][][] wOut; // [layer][d][m]
    private final double[][] bIn;
    private final double[][] bOut;
    private final double[] finalNormW;
    private final double[] finalNormB;

    /** What one pass changes; the default is the clean forward. */
    static final class Pass {
        /** Evaluate the frozen (LRP) forward with the constants recorded by an earlier clean pass. */
        boolean frozen;
        /** Where a clean pass records RelP's constants, or a frozen pass reads them. */
        Map<String, double[]> constants;
        /** Every node output becomes patched + nodeAlpha (own - patched) where it joins the stream. */
        double nodeAlpha = 1;
        /** The input alone becomes patched + inputAlpha (own - patched). */
        double inputAlpha = 1;
        double[][][] patched; // [source][s][d]
        /** A destination index (the graph's order) and what is added to its input, [s][d]. */
        int destination = -1;
        double[][] push;
        /** Layer and head whose attention pattern gets {@code patternShift} [s][s] added after the softmax. */
        int patternLayer = -1;
        int patternHead;
        double[][] patternShift;
        /** Filled in: every source's own output (before interpolation), the stream entering each layer, patterns. */
        double[][][] outputs;
        double[][][] residPre;
        double[][][][] patterns;
    }

    private EdgeOracle(TinyCheckpoint ck) {
        Map<String, Object> c = ck.config();
        Map<String, RefTensor> t = ck.tensors();
        String type = (String) c.get("model_type");
        llama = !type.equals("gpt2");
        if (llama && !(type.equals("llama") || type.equals("qwen2"))) {
            throw new IllegalArgumentException("the oracle computes gpt2, llama and qwen2, not " + type);
        }
        if (llama) {
            layers = num(c, "num_hidden_layers");
            heads = num(c, "num_attention_heads");
            kvHeads = num(c, "num_key_value_heads");
            dHead = num(c, "head_dim");
            d = num(c, "hidden_size");
            vocab = num(c, "vocab_size");
            eps = ((Number) c.get("rms_norm_eps")).doubleValue();
            theta = ((Number) c.get("rope_theta")).doubleValue();
            embed = matrix(t.get("model.embed_tokens.weight"));
            positions = null;
            unembed = t.containsKey("lm_head.weight") ? matrix(t.get("lm_head.weight")) : embed;
        } else {
            layers = num(c, "n_layer");
            heads = num(c, "n_head");
            kvHeads = heads;
            d = num(c, "n_embd");
            dHead = d / heads;
            vocab = num(c, "vocab_size");
            eps = ((Number) c.get("layer_norm_epsilon")).doubleValue();
            theta = 0;
            embed = matrix(t.get("wte.weight"));
            positions = matrix(t.get("wpe.weight"));
            unembed = embed;
        }
        wq = new double[layers][][];
        wk = new double[layers][][];
        wv = new double[layers][][];
        bq = new double[layers][];
        bk = new double[layers][];
        bv = new double[layers][];
        wo = new double[layers][][];
        bo = new double[layers][];
        attnNormW = new double[layers][];
        attnNormB = new double[layers][];
        mlpNormW = new double[layers][];
        mlpNormB = new double[layers][];
        wIn = new double[layers][][];
        wGate = new double[layers][][];
        wOut = new double[layers][][];
        bIn = new double[layers][];
        bOut = new double[layers][];
        for (int l = 0; l < layers; l++) {
            if (llama) {
                String p = "model.layers." + l + ".";
                wq[l] = matrix(t.get(p + "self_attn.q_proj.weight"));
                wk[l] = matrix(t.get(p + "self_attn.k_proj.weight"));
                wv[l] = matrix(t.get(p + "self_attn.v_proj.weight"));
                bq[l] = vector(t.get(p + "self_attn.q_proj.bias"));
                bk[l] = vector(t.get(p + "self_attn.k_proj.bias"));
                bv[l] = vector(t.get(p + "self_attn.v_proj.bias"));
                wo[l] = matrix(t.get(p + "self_attn.o_proj.weight"));
                bo[l] = vector(t.get(p + "self_attn.o_proj.bias"));
                attnNormW[l] = vector(t.get(p + "input_layernorm.weight"));
                mlpNormW[l] = vector(t.get(p + "post_attention_layernorm.weight"));
                wGate[l] = matrix(t.get(p + "mlp.gate_proj.weight"));
                wIn[l] = matrix(t.get(p + "mlp.up_proj.weight"));
                wOut[l] = matrix(t.get(p + "mlp.down_proj.weight"));
            } else {
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
            }
        }
        finalNormW = vector(t.get(llama ? "model.norm.weight" : "ln_f.weight"));
        finalNormB = llama ? null : vector(t.get("ln_f.bias"));
    }

    static EdgeOracle of(TinyCheckpoint checkpoint) {
        return new EdgeOracle(checkpoint);
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
        p.residPre = new double[layers][][];
        p.patterns = new double[layers][heads][][];
        double[][] input = new double[s][d];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < d; j++) {
                input[i][j] = embed[tokens[i]][j] + (positions == null ? 0 : positions[i][j]);
            }
        }
        join(p, 0, input, carried);
        double[][] constant = new double[s][d]; // output biases of the attention layers so far
        for (int l = 0; l < layers; l++) {
            double[][] resid = sum(carried, headSource(l, 0), constant);
            p.residPre[l] = resid;
            for (int h = 0; h < heads; h++) {
                double[][] qIn = pushed(resid, p, headDestination(l, 0, h));
                double[][] kIn = pushed(resid, p, headDestination(l, 1, h));
                double[][] vIn = pushed(resid, p, headDestination(l, 2, h));
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
            if (bo[l] != null) {
                for (double[] row : constant) {
                    for (int j = 0; j < d; j++) {
                        row[j] += bo[l][j];
                    }
                }
            }
            double[][] mlpIn = pushed(sum(carried, mlpSource(l), constant), p, mlpDestination(l));
            double[][] out = new double[s][];
            for (int i = 0; i < s; i++) {
                out[i] = mlp(l, i, norm("mlp/" + l + "/" + i, mlpIn[i], mlpNormW[l], mlpNormB[l], p), p);
            }
            join(p, mlpSource(l), out, carried);
        }
        double[][] last = pushed(sum(carried, nSrc, constant), p, logitsDestination());
        double[][] logits = new double[s][vocab];
        for (int i = 0; i < s; i++) {
            double[] x = norm("final/" + i, last[i], finalNormW, finalNormB, p);
            for (int v = 0; v < vocab; v++) {
                logits[i][v] = dot(unembed[v], x);
            }
        }
        return logits;
    }

    /** Head h's causal attention pattern [s][s] in layer l, queries from {@code qIn} and keys from {@code kIn}. */
    double[][] pattern(int l, int h, double[][] qIn, double[][] kIn, Pass p) {
        int s = qIn.length;
        double[][] q = project(l, 0, h, qIn, p);
        double[][] k = project(l, 1, h, kIn, p);
        double[][] a = new double[s][s];
        for (int i = 0; i < s; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                a[i][j] = dot(q[i], k[j]) / Math.sqrt(dHead);
                max = Math.max(max, a[i][j]);
            }
            double total = 0;
            for (int j = 0; j <= i; j++) {
                a[i][j] = Math.exp(a[i][j] - max);
                total += a[i][j];
            }
            for (int j = 0; j <= i; j++) {
                a[i][j] /= total;
            }
        }
        return a;
    }

    /** Head h's queries (port 0), keys (1) or values (2) [s][dHead] from its own input [s][d]; rotary on q and k. */
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
            if (llama && port < 2) {
                rotate(out[i], i);
            }
        }
        return out;
    }

    /** Rotate-half RoPE over the whole head at position {@code pos}. */
    private void rotate(double[] x, int pos) {
        int half = dHead / 2;
        for (int i = 0; i < half; i++) {
            double angle = pos * Math.pow(theta, -2.0 * i / dHead);
            double a = x[i];
            double b = x[i + half];
            x[i] = a * Math.cos(angle) - b * Math.sin(angle);
            x[i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
    }

    /** LayerNorm (GPT-2) or RMSNorm; frozen: 1/sigma is the clean run's (the mean is still subtracted). */
    private double[] norm(String key, double[] x, double[] w, double[] b, Pass p) {
        int n = x.length;
        double[] c = x.clone();
        if (!llama) {
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
        double inverse = 1 / Math.sqrt(square + eps);
        inverse = constant(p, key, new double[] {inverse})[0];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = c[i] * inverse * w[i] + (b == null ? 0 : b[i]);
        }
        return y;
    }

    /** The MLP of layer l on one normalised position; frozen: Identity-rule activation and Half-rule gate. */
    private double[] mlp(int l, int pos, double[] x, Pass p) {
        int m = wIn[l].length;
        double[] post = new double[m];
        double[] pre = new double[m];
        double[] up = new double[m];
        for (int u = 0; u < m; u++) {
            pre[u] = dot(llama ? wGate[l][u] : wIn[l][u], x) + (llama || bIn[l] == null ? 0 : bIn[l][u]);
            up[u] = llama ? dot(wIn[l][u], x) : 1;
        }
        String key = "act/" + l + "/" + pos;
        double[] ratio = new double[m];
        double[] activated = new double[m];
        for (int u = 0; u < m; u++) {
            activated[u] = activation(pre[u]);
            ratio[u] = activated[u] / pre[u];
        }
        ratio = constant(p, key + "/ratio", ratio);
        double[] cleanActivated = constant(p, key + "/a", activated);
        double[] cleanUp = constant(p, key + "/up", up);
        for (int u = 0; u < m; u++) {
            if (!p.frozen) {
                post[u] = activated[u] * up[u];
            } else {
                double a = pre[u] * ratio[u];
                post[u] = llama ? 0.5 * (a * cleanUp[u] + cleanActivated[u] * up[u]) : a;
            }
        }
        double[] out = new double[d];
        for (int o = 0; o < d; o++) {
            out[o] = dot(wOut[l][o], post) + (bOut[l] == null ? 0 : bOut[l][o]);
        }
        return out;
    }

    private double activation(double x) {
        if (llama) {
            return x / (1 + Math.exp(-x)); // SiLU
        }
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))); // gelu_new
    }

    /** In a frozen pass, the recorded clean value; in a clean pass with constants, records {@code value}. */
    private static double[] constant(Pass p, String key, double[] value) {
        if (p.constants == null) {
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
    private static void join(Pass p, int source, double[][] own, double[][][] carried) {
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

    private static double[][] sum(double[][][] carried, int upstream, double[][] constant) {
        double[][] out = new double[constant.length][];
        for (int i = 0; i < constant.length; i++) {
            out[i] = constant[i].clone();
            for (int src = 0; src < upstream; src++) {
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] += carried[src][i][j];
                }
            }
        }
        return out;
    }

    private static double[][] pushed(double[][] x, Pass p, int destination) {
        return p.destination == destination ? added(x, p.push) : x;
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
