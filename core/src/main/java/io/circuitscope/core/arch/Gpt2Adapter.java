package io.circuitscope.core.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.ConfigReader;
import io.circuitscope.core.io.TensorSource;
import io.circuitscope.core.model.LayerWeights;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import io.circuitscope.core.model.NormType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * GPT-2 as Hugging Face computes it: learned positions, pre-LayerNorm, Conv1D weights stored
 * [in, out], fused c_attn, tied unembedding. Tensor names are accepted with or without the
 * {@code transformer.} prefix; {@code attn.bias} mask buffers are ignored.
 *
 * <p>Extension: {@code "circuitscope_normalization": "none"} builds a normalisation-free model
 * (TransformerLens' normalization_type=None), whose weights can be planted exactly.
 */
public final class Gpt2Adapter implements ArchitectureAdapter {
    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt2");
    }

    @Override
    public ModelConfig config(ConfigReader c) {
        int d = c.requirePositiveInt("n_embd");
        int heads = c.requirePositiveInt("n_head");
        if (d % heads != 0) {
            throw c.error("n_embd", "(" + d + ") is not divisible by n_head (" + heads + ")");
        }
        int layers = c.requirePositiveInt("n_layer");
        int inner = c.optPositiveInt("n_inner", 4 * d);
        int vocab = c.requirePositiveInt("vocab_size");
        int context = c.requirePositiveInt("n_positions", "n_ctx");
        double eps = c.optPositiveDouble("layer_norm_epsilon", 1e-5);
        String norm = c.optString("circuitscope_normalization", "layer_norm");
        NormType normType;
        switch (norm) {
            case "layer_norm" -> normType = NormType.LAYER_NORM;
            case "none" -> normType = NormType.NONE;
            default -> throw c.error("circuitscope_normalization", "must be 'layer_norm' or 'none', got '" + norm + "'");
        }
        ModelConfig.Builder b = ModelConfig.builder("gpt2");
        if (!c.optBoolean("scale_attn_weights", true)) {
            b.optAttnScale(1.0); // HF's GPT2Attention divides q·k by sqrt(d_head) only when this is set
        }
        b.optAttnScaleByInverseLayer(c.optBoolean("scale_attn_by_inverse_layer_idx", false));
        return ConfigFields.build(c, b
                .setSizes(d, layers, heads, inner, vocab, context)
                .optNorm(normType, eps)
                .optActivation(ConfigFields.activation(c, "activation_function", "gelu_new"))
                .optLearnedPositions(true));
    }

    /** The causal-mask buffers older GPT-2 files carry in every block. */
    @Override
    public boolean ignorable(String tensor, ModelConfig config) {
        return tensor.endsWith(".attn.bias") || tensor.endsWith(".attn.masked_bias");
    }

    @Override
    public ModelWeights weights(ModelConfig cfg, ConfigReader raw, TensorSource source, NDManager manager) {
        String prefix = source.contains("transformer.wte.weight") ? "transformer." : "";
        WeightReader r = new WeightReader(source, manager, prefix);
        long d = cfg.dModel();
        long m = cfg.dMlp();
        boolean norms = cfg.normType() != NormType.NONE;
        NDArray wE = r.require("wte.weight", cfg.vocabSize(), d);
        NDArray wPos = r.require("wpe.weight", cfg.contextLength(), d);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "h." + l + ".";
            NDList qkv = r.require(p + "attn.c_attn.weight", d, 3 * d).split(3, 1);
            NDList qkvBias = r.require(p + "attn.c_attn.bias", 3 * d).split(3, 0);
            layers.add(new LayerWeights(
                    norms ? r.require(p + "ln_1.weight", d) : null,
                    norms ? r.require(p + "ln_1.bias", d) : null,
                    qkv.get(0), qkvBias.get(0),
                    qkv.get(1), qkvBias.get(1),
                    qkv.get(2), qkvBias.get(2),
                    r.require(p + "attn.c_proj.weight", d, d), r.require(p + "attn.c_proj.bias", d),
                    null, null, null,
                    norms ? r.require(p + "ln_2.weight", d) : null,
                    norms ? r.require(p + "ln_2.bias", d) : null,
                    r.require(p + "mlp.c_fc.weight", d, m), r.require(p + "mlp.c_fc.bias", m),
                    null, null,
                    r.require(p + "mlp.c_proj.weight", m, d), r.require(p + "mlp.c_proj.bias", d),
                    null));
        }
        NDArray lnFW = norms ? r.require("ln_f.weight", d) : null;
        NDArray lnFB = norms ? r.require("ln_f.bias", d) : null;
        return new ModelWeights(manager, wE, wPos, layers, lnFW, lnFB, unembedding(raw, source, manager, wE), null);
    }

    /**
     * As HF's GPT2LMHeadModel: tied to wte unless tie_word_embeddings is false (GPT2Config's default is true). A file's
     * lm_head.weight, stored without the transformer. prefix, is then a copy of wte or refused; an untied config
     * needs one, since HF would start it from random numbers.
     */
    private static NDArray unembedding(ConfigReader raw, TensorSource source, NDManager manager, NDArray wE) {
        WeightReader unprefixed = new WeightReader(source, manager, "");
        if (raw.optBoolean("tie_word_embeddings", true)) {
            return unprefixed.tiedTo(wE, "lm_head.weight");
        }
        if (!source.contains("lm_head.weight")) {
            throw new CheckpointException(source.describe() + ": config.json sets \"tie_word_embeddings\": false but "
                    + "there is no tensor 'lm_head.weight' for the untied output");
        }
        long[] shape = wE.getShape().getShape();
        return unprefixed.linearTransposed("lm_head.weight", shape[0], shape[1]);
    }
}
