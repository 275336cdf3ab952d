package io.circuitscope.core.planted;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.circuitscope.core.io.SafetensorsWriter;
import io.circuitscope.core.model.Activation;
import io.circuitscope.core.model.LayerWeights;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import io.circuitscope.core.model.NormType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Hand-written weights of a normalisation-free GPT-2 (learned positions, separate unembedding), in
 * circuitscope's canonical input-major layout, with helpers to plant attention patterns and
 * read/write circuits into chosen residual-stream dimensions. Every bias is zero except the MLP input
 * bias, which planted MLPs use as thresholds.
 *
 * <p>The same arrays become a {@link ModelWeights} ({@link #toModelWeights}) or a Hugging Face GPT-2
 * checkpoint directory ({@link #writeCheckpoint}) that {@code Gpt2Adapter} reads back bit-exactly.
 */
public final class PlantedWeights {
    private final ModelConfig config;
    private final String activationName;
    private final int d;
    private final int m;
    private final int v;
    private final int ctx;
    private final int e;
    final float[] wE;
    final float[] wPos;
    final float[][] wQ;
    final float[][] wK;
    final float[][] wV;
    final float[][] wO;
    final float[][] wIn;
    final float[][] bIn;
    final float[][] wOut;
    final float[] wU;

    /**
     * @param activation "gelu_new" or "relu" (the Hugging Face names)
     */
    PlantedWeights(int dModel, int layers, int heads, int dMlp, int vocab, int context, String activation) {
        this.activationName = activation;
        this.config = ModelConfig.builder("gpt2")
                .setSizes(dModel, layers, heads, dMlp, vocab, context)
                .optNorm(NormType.NONE, 1e-5)
                .optActivation(Activation.fromHuggingFace(activation, "activation_function"))
                .optLearnedPositions(true)
                .build();
        this.d = dModel;
        this.m = dMlp;
        this.v = vocab;
        this.ctx = context;
        this.e = config.dHead();
        this.wE = new float[v * d];
        this.wPos = new float[ctx * d];
        this.wQ = new float[layers][d * d];
        this.wK = new float[layers][d * d];
        this.wV = new float[layers][d * d];
        this.wO = new float[layers][d * d];
        this.wIn = new float[layers][d * m];
        this.bIn = new float[layers][m];
        this.wOut = new float[layers][m * d];
        this.wU = new float[d * v];
    }

    public ModelConfig config() {
        return config;
    }

    // ---- planting helpers -------------------------------------------------------------------

    void embed(int token, int dim, float value) {
        wE[token * d + dim] = value;
    }

    void position(int pos, int dim, float value) {
        wPos[pos * d + dim] = value;
    }

    /** W_Q[residDim, column col of head] = value. */
    void query(int layer, int head, int residDim, int col, float value) {
        wQ[layer][residDim * d + headCol(head, col)] = value;
    }

    void key(int layer, int head, int residDim, int col, float value) {
        wK[layer][residDim * d + headCol(head, col)] = value;
    }

    void value(int layer, int head, int residDim, int col, float value) {
        wV[layer][residDim * d + headCol(head, col)] = value;
    }

    /** W_O[column col of head, residDim] = value. */
    void output(int layer, int head, int col, int residDim, float value) {
        wO[layer][headCol(head, col) * d + residDim] = value;
    }

    /**
     * Adds {@code score} to the attention logit (after the 1/sqrt(d_head) scale) between a query whose
     * residual has 1 in {@code qDim} and a key whose residual has 1 in {@code kDim}, through head column {@code col}.
     */
    void score(int layer, int head, int qDim, int kDim, int col, double score) {
        double raw = score / config.attnScale();
        float a = (float) Math.sqrt(Math.abs(raw));
        query(layer, head, qDim, col, a);
        key(layer, head, kDim, col, (float) Math.signum(raw) * a);
    }

    /** Head copies residual dim {@code from} (at the attended position) to dim {@code to}, times gain, via column col. */
    void copy(int layer, int head, int from, int col, int to, float gain) {
        value(layer, head, from, col, 1f);
        output(layer, head, col, to, gain);
    }

    void mlpIn(int layer, int residDim, int unit, float value) {
        wIn[layer][residDim * m + unit] = value;
    }

    void mlpBias(int layer, int unit, float value) {
        bIn[layer][unit] = value;
    }

    void mlpOut(int layer, int unit, int residDim, float value) {
        wOut[layer][unit * d + residDim] = value;
    }

    void unembed(int residDim, int token, float value) {
        wU[residDim * v + token] = value;
    }

    /**
     * A distractor head: random W_Q, W_K, W_V over the whole residual stream (std {@code std}) and a
     * random W_O whose columns are zero outside [junkFrom, junkTo), so it writes only where nothing of the
     * circuit and not the unembedding reads.
     */
    void randomHead(int layer, int head, Random rng, double std, int junkFrom, int junkTo) {
        for (int r = 0; r < d; r++) {
            for (int c = 0; c < e; c++) {
                query(layer, head, r, c, (float) (rng.nextGaussian() * std));
                key(layer, head, r, c, (float) (rng.nextGaussian() * std));
                value(layer, head, r, c, (float) (rng.nextGaussian() * std));
            }
        }
        for (int c = 0; c < e; c++) {
            for (int r = junkFrom; r < junkTo; r++) {
                output(layer, head, c, r, (float) (rng.nextGaussian() * std));
            }
        }
    }

    /** Random MLP units [unitFrom, unitTo) reading the whole stream and writing only into [junkFrom, junkTo). */
    void randomMlpUnits(int layer, int unitFrom, int unitTo, Random rng, double std, int junkFrom, int junkTo) {
        for (int u = unitFrom; u < unitTo; u++) {
            for (int r = 0; r < d; r++) {
                mlpIn(layer, r, u, (float) (rng.nextGaussian() * std));
            }
            mlpBias(layer, u, (float) (rng.nextGaussian() * std));
            for (int r = junkFrom; r < junkTo; r++) {
                mlpOut(layer, u, r, (float) (rng.nextGaussian() * std));
            }
        }
    }

    /** Frobenius norm of head h's W_Q, W_K, W_V and W_O slices together (to size distractors like circuit heads). */
    double headNorm(int layer, int head) {
        double s = 0;
        for (int r = 0; r < d; r++) {
            for (int c = 0; c < e; c++) {
                int i = r * d + headCol(head, c);
                s += sq(wQ[layer][i]) + sq(wK[layer][i]) + sq(wV[layer][i]);
                s += sq(wO[layer][headCol(head, c) * d + r]);
            }
        }
        return Math.sqrt(s);
    }

    private static double sq(float x) {
        return (double) x * x;
    }

    private int headCol(int head, int col) {
        if (col < 0 || col >= e) {
            throw new IllegalArgumentException("head column " + col + " outside d_head " + e);
        }
        return head * e + col;
    }

    // ---- export -----------------------------------------------------------------------------

    /** The weights as tensors owned by {@code manager}. */
    public ModelWeights toModelWeights(NDManager manager) {
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < config.nLayers(); l++) {
            layers.add(new LayerWeights(null, null,
                    manager.create(wQ[l], new Shape(d, d)), manager.zeros(new Shape(d)),
                    manager.create(wK[l], new Shape(d, d)), manager.zeros(new Shape(d)),
                    manager.create(wV[l], new Shape(d, d)), manager.zeros(new Shape(d)),
                    manager.create(wO[l], new Shape(d, d)), manager.zeros(new Shape(d)),
                    null, null, null, null, null,
                    manager.create(wIn[l], new Shape(d, m)), manager.create(bIn[l], new Shape(m)),
                    null, null,
                    manager.create(wOut[l], new Shape(m, d)), manager.zeros(new Shape(d)),
                    null));
        }
        NDArray embed = manager.create(wE, new Shape(v, d));
        NDArray pos = manager.create(wPos, new Shape(ctx, d));
        NDArray unembed = manager.create(wU, new Shape(d, v));
        return new ModelWeights(manager, embed, pos, layers, null, null, unembed, null);
    }

    /**
     * Writes config.json ({@code model_type} gpt2, {@code circuitscope_normalization} none) and
     * model.safetensors in GPT-2's names and Conv1D [in, out] layout, with an untied {@code lm_head.weight}.
     */
    public Path writeCheckpoint(Path dir, Map<String, Object> extraConfig) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("model_type", "gpt2");
        cfg.put("architectures", List.of("GPT2LMHeadModel"));
        cfg.put("n_embd", d);
        cfg.put("n_layer", config.nLayers());
        cfg.put("n_head", config.nHeads());
        cfg.put("n_inner", m);
        cfg.put("n_positions", ctx);
        cfg.put("vocab_size", v);
        cfg.put("activation_function", activationName);
        cfg.put("layer_norm_epsilon", 1e-5);
        cfg.put("circuitscope_normalization", "none");
        cfg.put("tie_word_embeddings", false);
        cfg.putAll(extraConfig);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("config.json").toFile(), cfg);

        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        w.put("wte.weight", SafetensorsWriter.Tensor.f32(wE, v, d));
        w.put("wpe.weight", SafetensorsWriter.Tensor.f32(wPos, ctx, d));
        for (int l = 0; l < config.nLayers(); l++) {
            String p = "h." + l + ".";
            float[] qkv = new float[d * 3 * d];
            for (int r = 0; r < d; r++) {
                System.arraycopy(wQ[l], r * d, qkv, r * 3 * d, d);
                System.arraycopy(wK[l], r * d, qkv, r * 3 * d + d, d);
                System.arraycopy(wV[l], r * d, qkv, r * 3 * d + 2 * d, d);
            }
            w.put(p + "attn.c_attn.weight", SafetensorsWriter.Tensor.f32(qkv, d, 3L * d));
            w.put(p + "attn.c_attn.bias", SafetensorsWriter.Tensor.f32(new float[3 * d], 3L * d));
            w.put(p + "attn.c_proj.weight", SafetensorsWriter.Tensor.f32(wO[l], d, d));
            w.put(p + "attn.c_proj.bias", SafetensorsWriter.Tensor.f32(new float[d], d));
            w.put(p + "mlp.c_fc.weight", SafetensorsWriter.Tensor.f32(wIn[l], d, m));
            w.put(p + "mlp.c_fc.bias", SafetensorsWriter.Tensor.f32(bIn[l], m));
            w.put(p + "mlp.c_proj.weight", SafetensorsWriter.Tensor.f32(wOut[l], m, d));
            w.put(p + "mlp.c_proj.bias", SafetensorsWriter.Tensor.f32(new float[d], d));
        }
        float[] lmHead = new float[v * d];
        for (int r = 0; r < d; r++) {
            for (int t = 0; t < v; t++) {
                lmHead[t * d + r] = wU[r * v + t];
            }
        }
        w.put("lm_head.weight", SafetensorsWriter.Tensor.f32(lmHead, v, d));
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }
}
