package io.circuitscope.core.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.core.io.ConfigReader;
import io.circuitscope.core.io.TensorSource;
import io.circuitscope.core.model.LayerWeights;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import io.circuitscope.core.model.NormType;
import io.circuitscope.core.model.RotaryStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * GPT-NeoX (Pythia) as Hugging Face computes it: LayerNorm with bias, parallel attention and MLP
 * ({@code use_parallel_residual}, default true), rotary embeddings on the first
 * {@code rotary_pct * head_dim} dimensions of each head (rotate-half style, base
 * {@code rotary_emb_base}), exact GELU and an untied {@code embed_out}.
 *
 * <p>The fused {@code query_key_value} weight [3d, d] is laid out per head: its output reshapes to
 * [heads, 3, head_dim], so rows h*3e .. h*3e+e-1 are head h's query, the next e its key and the
 * next e its value. It is split here into input-major W_Q, W_K, W_V [d, heads*e] with biases.
 */
public final class GptNeoxAdapter implements ArchitectureAdapter {
    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt_neox");
    }

    @Override
    public ModelConfig config(ConfigReader c) {
        int d = c.requirePositiveInt("hidden_size");
        int heads = c.requirePositiveInt("num_attention_heads");
        int layers = c.requirePositiveInt("num_hidden_layers");
        int inter = c.requirePositiveInt("intermediate_size");
        int vocab = c.requirePositiveInt("vocab_size");
        int context = c.requirePositiveInt("max_position_embeddings");
        if (d % heads != 0) {
            throw c.error("hidden_size", "(" + d + ") is not divisible by num_attention_heads (" + heads + ")");
        }
        int headDim = d / heads;
        int rotaryDim = (int) (headDim * rotaryFraction(c));
        return ConfigFields.build(c, ModelConfig.builder("gpt_neox")
                .setSizes(d, layers, heads, inter, vocab, context)
                .optNorm(NormType.LAYER_NORM, c.optPositiveDouble("layer_norm_eps", 1e-5))
                .optLearnedPositions(false)
                .optRotary(RopeConfig.withBase(c, rotaryDim, c.optDouble(BASE, DEFAULT_BASE), BASE, RotaryStyle.HALVES))
                .optActivation(ConfigFields.activation(c, "hidden_act", "gelu"))
                .optParallelAttnMlp(c.optBoolean("use_parallel_residual", true)));
    }

    /**
     * The share of each head that rotates, as Hugging Face's GPTNeoXConfig reads it: rotary_pct (transformers v4), or
     * partial_rotary_factor inside rope_parameters (v5 saves it there), default 0.25. A top-level partial_rotary_factor
     * is not read: v4's config overwrites it with rotary_pct and v5's leaves it unused, so Hugging Face rotates
     * rotary_pct's share (0.25 when absent) whatever it says; {@link #notes} reports one that differs.
     */
    private static double rotaryFraction(ConfigReader c) {
        JsonNode params = c.has("rope_parameters") ? c.node("rope_parameters") : null;
        if (c.has(FRACTION) && params != null && params.isObject() && params.hasNonNull("partial_rotary_factor")
                && params.get("partial_rotary_factor").asDouble() != c.optDouble(FRACTION, DEFAULT_FRACTION)) {
            // transformers 4 reads rotary_pct, 5 the factor in rope_parameters: no one share is Hugging Face's
            throw c.error(FRACTION, "is " + c.node(FRACTION) + " but rope_parameters.partial_rotary_factor is "
                    + params.get("partial_rotary_factor") + ": transformers 4 rotates the first share and 5 the "
                    + "second, so the rotation is unclear; keep one of them");
        }
        ConfigReader from = !c.has(FRACTION) && c.has("rope_parameters") && c.node("rope_parameters").isObject()
                ? c.section("rope_parameters") : c;
        String field = from == c ? FRACTION : "partial_rotary_factor";
        double pct = from.optDouble(field, DEFAULT_FRACTION);
        if (!(pct > 0 && pct <= 1)) {
            throw from.error(field, "must be in (0, 1], got " + pct);
        }
        return pct;
    }

    private static final String FRACTION = "rotary_pct";
    private static final double DEFAULT_FRACTION = 0.25;
    /** The rotary base; as with the fraction, a top-level rope_theta is not what GPTNeoXConfig reads. */
    private static final String BASE = "rotary_emb_base";
    private static final double DEFAULT_BASE = 10000.0;

    /**
     * Top-level partial_rotary_factor and rope_theta that differ from the share and base used: Hugging Face's
     * GPTNeoXConfig ignores them (see {@link #rotaryFraction}), and so does circuitscope.
     */
    @Override
    public List<String> notes(ConfigReader c) {
        List<String> notes = new ArrayList<>();
        double fraction = rotaryFraction(c);
        if (c.has("partial_rotary_factor") && c.optDouble("partial_rotary_factor", fraction) != fraction) {
            notes.add(c.where("partial_rotary_factor") + " is " + c.node("partial_rotary_factor") + ", but Hugging "
                    + "Face's GPTNeoXConfig reads the rotary share from rotary_pct or rope_parameters (default "
                    + DEFAULT_FRACTION + ") and ignores this field; circuitscope rotates " + fraction
                    + " of each head, as Hugging Face does");
        }
        double base = rotaryBase(c);
        if (c.has("rope_theta") && c.optDouble("rope_theta", base) != base) {
            notes.add(c.where("rope_theta") + " is " + c.node("rope_theta") + ", but Hugging Face's GPTNeoXConfig "
                    + "reads the rotary base from rotary_emb_base or rope_parameters (default " + DEFAULT_BASE
                    + ") and ignores this field; circuitscope uses " + base + ", as Hugging Face does");
        }
        return notes;
    }

    /** The rotary base used: rotary_emb_base (default 10000), unless the scaling object carries a rope_theta. */
    private static double rotaryBase(ConfigReader c) {
        String scalingField = c.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        JsonNode scaling = c.has(scalingField) ? c.node(scalingField) : null;
        if (scaling != null && scaling.isObject() && scaling.hasNonNull("rope_theta")
                && scaling.get("rope_theta").isNumber()) {
            return scaling.get("rope_theta").asDouble();
        }
        return c.optDouble(BASE, DEFAULT_BASE);
    }

    /** Pythia files carry each layer's causal mask and rotary inverse frequencies, which are recomputed. */
    @Override
    public boolean ignorable(String tensor, ModelConfig config) {
        return tensor.endsWith(".attention.bias") || tensor.endsWith(".attention.masked_bias")
                || tensor.endsWith(".rotary_emb.inv_freq");
    }

    @Override
    public ModelWeights weights(ModelConfig cfg, ConfigReader raw, TensorSource source, NDManager manager) {
        boolean bias = raw.optBoolean("attention_bias", true);
        boolean tied = raw.optBoolean("tie_word_embeddings", false);
        WeightReader r = new WeightReader(source, manager, "");
        long d = cfg.dModel();
        long m = cfg.dMlp();
        int heads = cfg.nHeads();
        long e = cfg.dHead();
        NDArray wE = r.require("gpt_neox.embed_in.weight", cfg.vocabSize(), d);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "gpt_neox.layers." + l + ".";
            NDArray qkv = r.require(p + "attention.query_key_value.weight", 3 * d, d);
            NDArray qkvB = bias ? r.require(p + "attention.query_key_value.bias", 3 * d) : null;
            NDArray[] w = splitPerHead(qkv.reshape(heads, 3, e, d), heads * e, d);
            NDArray[] b = qkvB == null ? new NDArray[3] : splitPerHead(qkvB.reshape(heads, 3, e), heads * e, -1);
            qkv.close();
            if (qkvB != null) {
                qkvB.close();
            }
            layers.add(new LayerWeights(
                    r.require(p + "input_layernorm.weight", d), r.require(p + "input_layernorm.bias", d),
                    w[0], b[0], w[1], b[1], w[2], b[2],
                    r.linearTransposed(p + "attention.dense.weight", d, d),
                    bias ? r.require(p + "attention.dense.bias", d) : null,
                    null, null, null,
                    r.require(p + "post_attention_layernorm.weight", d),
                    r.require(p + "post_attention_layernorm.bias", d),
                    r.linearTransposed(p + "mlp.dense_h_to_4h.weight", m, d), r.require(p + "mlp.dense_h_to_4h.bias", m),
                    null, null,
                    r.linearTransposed(p + "mlp.dense_4h_to_h.weight", d, m), r.require(p + "mlp.dense_4h_to_h.bias", d),
                    null));
        }
        NDArray lnW = r.require("gpt_neox.final_layer_norm.weight", d);
        NDArray lnB = r.require("gpt_neox.final_layer_norm.bias", d);
        NDArray wU = tied ? r.tiedTo(wE, "embed_out.weight")
                : r.linearTransposed("embed_out.weight", cfg.vocabSize(), d);
        return new ModelWeights(manager, wE, null, layers, lnW, lnB, wU, null);
    }

    /**
     * [heads, 3, e, d] (or [heads, 3, e] for the bias) -> q, k, v; weights come back input-major
     * [d, heads*e], biases as [heads*e]. Each result is a fresh contiguous tensor.
     */
    private static NDArray[] splitPerHead(NDArray perHead, long rows, long d) {
        NDArray[] out = new NDArray[3];
        for (int i = 0; i < 3; i++) {
            NDArray part = perHead.get(new NDIndex(":, {}", i));
            NDArray shaped = d < 0 ? part.reshape(rows) : part.reshape(rows, d).transpose();
            out[i] = shaped.duplicate();
            if (shaped != part) {
                shaped.close();
            }
            part.close();
        }
        perHead.close();
        return out;
    }
}
