package io.circuitscope.core.reference;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Test oracle: an independent, deliberately naive forward pass for the transformer families that
 * circuitscope supports, written in plain Java with {@code double} arithmetic and simple loops.
 *
 * <p>It exists only so tests can check the real (DJL/PyTorch) implementation against something
 * obviously correct. It follows the Hugging Face {@code transformers} modelling code (eager
 * attention path) for {@code gpt2}, {@code llama}, {@code qwen2}, {@code qwen3}, {@code gemma2},
 * {@code gemma3_text} (and the text part of {@code gemma3}) and {@code gpt_neox}, and llama2.c's {@code run.c} for {@code .bin} checkpoints. It is slow on
 * purpose: no caching, no batching, no cleverness. Do not use it outside tests.
 *
 * <p>Known deliberate differences from PyTorch: everything is computed in float64 (including the
 * RoPE inverse frequencies and angles, which Hugging Face computes in float32), so expect
 * float32-level, not bit-level, agreement.
 */
public final class ReferenceForward {

    /** One float32 rounding, relative: 2^-24. */
    public static final double FLOAT32_ROUNDING = 0x1p-24;
    /** Set only inside {@link #logitsWithRoundingNoise}. */
    private static final ThreadLocal<java.util.Random> ROUNDING_NOISE = new ThreadLocal<>();

    private static final double SQRT_2 = Math.sqrt(2.0);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private ReferenceForward() {
    }

    // =====================================================================================
    // Public API
    // =====================================================================================

    /**
     * Logits {@code [position][vocab]} for ONE sequence of token ids.
     *
     * @param config  the parsed Hugging Face config.json (values: Number, String, Boolean, Map, List, null)
     * @param tensors tensors by their Hugging Face name exactly as stored in the safetensors file
     * @param tokens  token ids, at least one
     * @throws IllegalArgumentException for an unsupported model_type, a missing tensor, a tensor of
     *                                  the wrong shape, a bad config value or an out-of-range token
     */
    public static double[][] logits(Map<String, Object> config, Map<String, RefTensor> tensors, int[] tokens) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(tensors, "tensors");
        checkTokensPresent(tokens);
        Object type = config.get("model_type");
        if (!(type instanceof String)) {
            throw new IllegalArgumentException("config has no string model_type: " + type);
        }
        switch ((String) type) {
            case "gpt2":
                return gpt2(config, new Weights(tensors, "gpt2"), tokens);
            case "llama":
            case "mistral":
            case "qwen2":
            case "qwen3":
            case "gemma2":
                return llamaFamily(config, new Weights(tensors, (String) type), tokens, false);
            case "gemma3_text":
                return llamaFamily(gemma3TextDefaults(config), new Weights(tensors, "gemma3_text"), tokens, false);
            case "gemma3":
                return gemma3Multimodal(config, tensors, tokens);
            case "gpt_neox":
                return gptNeox(config, new Weights(tensors, "gpt_neox"), tokens);
            default:
                throw new IllegalArgumentException("unsupported model_type: " + type);
        }
    }

    /**
     * The logits as {@link #logits}, but every value entering or leaving a projection or MLP of the Llama
     * family (llama, mistral, qwen, gemma) is multiplied by (1 + 2^-24 N(0, 1)), one float32 rounding. How far
     * these move from the exact logits is the configuration's conditioning: the share of a float32 engine's
     * deviation that rounding alone explains. Deep random models with Gemma's sandwich norms can move by
     * 1e-4 and more, since a norm rescales an output of cancelling terms to unit size, rounding and all.
     * Other families are computed without noise.
     */
    public static double[][] logitsWithRoundingNoise(Map<String, Object> config, Map<String, RefTensor> tensors,
            int[] tokens, long seed) {
        ROUNDING_NOISE.set(new java.util.Random(seed));
        try {
            return logits(config, tensors, tokens);
        } finally {
            ROUNDING_NOISE.remove();
        }
    }

    /** {@code a}, rounded as float32 might have rounded it, when noise is asked for; in place. */
    private static double[] rounded(double[] a) {
        java.util.Random rng = ROUNDING_NOISE.get();
        if (rng != null) {
            for (int i = 0; i < a.length; i++) {
                a[i] *= 1 + FLOAT32_ROUNDING * rng.nextGaussian();
            }
        }
        return a;
    }

    /**
     * Same as {@link #logits}, reading a llama2.c {@code .bin} checkpoint (legacy version-0 format)
     * directly from disk and computing exactly what llama2.c's {@code run.c} computes (consecutive-pair
     * RoPE, RMSNorm eps 1e-5), in double.
     */
    public static double[][] logitsLlama2c(Path bin, int[] tokens) throws IOException {
        Objects.requireNonNull(bin, "bin");
        checkTokensPresent(tokens);
        Llama2cModel model = readLlama2c(bin);
        if (tokens.length > model.seqLen) {
            throw new IllegalArgumentException(
                    tokens.length + " tokens exceed the llama2.c checkpoint's seq_len " + model.seqLen);
        }
        return llamaFamily(model.config, new Weights(model.tensors, "llama2c"), tokens, true);
    }

    // =====================================================================================
    // GPT-2 (HF GPT2LMHeadModel)
    // =====================================================================================

    private static double[][] gpt2(Map<String, Object> cfg, Weights w, int[] tokens) {
        int d = reqInt(cfg, "n_embd");
        int nLayers = reqInt(cfg, "n_layer");
        int nHeads = reqInt(cfg, "n_head");
        int nCtx = intOr(cfg, "n_positions", intOr(cfg, "n_ctx", 1024));
        int inner = intOr(cfg, "n_inner", 4 * d);
        double eps = doubleOr(cfg, "layer_norm_epsilon", 1e-5);
        String act = strOr(cfg, "activation_function", "gelu_new");
        boolean scaleAttn = boolOr(cfg, "scale_attn_weights", true);
        boolean scaleByLayer = boolOr(cfg, "scale_attn_by_inverse_layer_idx", false);
        boolean useLayerNorm = gpt2UsesLayerNorm(cfg);
        int headDim = divide(d, nHeads, "n_embd", "n_head");
        int n = tokens.length;

        RefTensor wte = w.get(gpt2Name(w, "wte.weight"));
        int vocab = intOr(cfg, "vocab_size", dim(wte, 0));
        w.checkShape(wte, vocab, d);
        RefTensor wpe = w.get(gpt2Name(w, "wpe.weight"), nCtx, d);
        if (n > nCtx) {
            throw new IllegalArgumentException(n + " tokens exceed n_positions " + nCtx);
        }
        checkTokenRange(tokens, vocab);

        // embeddings: token + learned position
        double[][] x = new double[n][];
        for (int pos = 0; pos < n; pos++) {
            x[pos] = row(wte, tokens[pos]);
            double[] p = row(wpe, pos);
            for (int i = 0; i < d; i++) {
                x[pos][i] += p[i];
            }
        }

        for (int l = 0; l < nLayers; l++) {
            String p = "h." + l + ".";
            RefTensor cAttnW = w.get(gpt2Name(w, p + "attn.c_attn.weight"), d, 3 * d);
            RefTensor cAttnB = w.get(gpt2Name(w, p + "attn.c_attn.bias"), 3 * d);
            RefTensor cProjW = w.get(gpt2Name(w, p + "attn.c_proj.weight"), d, d);
            RefTensor cProjB = w.get(gpt2Name(w, p + "attn.c_proj.bias"), d);
            RefTensor fcW = w.get(gpt2Name(w, p + "mlp.c_fc.weight"), d, inner);
            RefTensor fcB = w.get(gpt2Name(w, p + "mlp.c_fc.bias"), inner);
            RefTensor projW = w.get(gpt2Name(w, p + "mlp.c_proj.weight"), inner, d);
            RefTensor projB = w.get(gpt2Name(w, p + "mlp.c_proj.bias"), d);

            // attention sub-block: q, k, v for every position first
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int pos = 0; pos < n; pos++) {
                double[] h = useLayerNorm ? gpt2LayerNorm(w, x[pos], p + "ln_1", d, eps) : x[pos];
                double[] qkv = matVecInOut(h, cAttnW, cAttnB);
                q[pos] = Arrays.copyOfRange(qkv, 0, d);
                k[pos] = Arrays.copyOfRange(qkv, d, 2 * d);
                v[pos] = Arrays.copyOfRange(qkv, 2 * d, 3 * d);
            }
            double scale = 1.0;
            if (scaleAttn) {
                scale /= Math.sqrt(headDim);
            }
            if (scaleByLayer) {
                scale /= (l + 1);
            }
            double[][] att = causalAttention(q, k, v, nHeads, nHeads, headDim, scale, 0.0, null);
            for (int pos = 0; pos < n; pos++) {
                addInPlace(x[pos], matVecInOut(att[pos], cProjW, cProjB));
            }

            // MLP sub-block
            for (int pos = 0; pos < n; pos++) {
                double[] h = useLayerNorm ? gpt2LayerNorm(w, x[pos], p + "ln_2", d, eps) : x[pos];
                double[] hidden = matVecInOut(h, fcW, fcB);
                for (int i = 0; i < inner; i++) {
                    hidden[i] = activation(act, hidden[i]);
                }
                addInPlace(x[pos], matVecInOut(hidden, projW, projB));
            }
        }

        // GPT2Config ties by default; HF's GPT2LMHeadModel then reads wte whatever lm_head.weight holds
        RefTensor unembed = boolOr(cfg, "tie_word_embeddings", true) ? wte : w.get("lm_head.weight", vocab, d);
        double[][] logits = new double[n][];
        for (int pos = 0; pos < n; pos++) {
            double[] h = useLayerNorm ? gpt2LayerNorm(w, x[pos], "ln_f", d, eps) : x[pos];
            logits[pos] = matVec(h, unembed, null);
        }
        return logits;
    }

    /** Extension key {@code circuitscope_normalization}: {@code "none"} skips every LayerNorm. */
    private static boolean gpt2UsesLayerNorm(Map<String, Object> cfg) {
        String norm = strOr(cfg, "circuitscope_normalization", null);
        if (norm == null || norm.equals("layernorm") || norm.equals("layer_norm")) {
            return true;
        }
        if (norm.equals("none")) {
            return false;
        }
        throw new IllegalArgumentException("unsupported circuitscope_normalization: " + norm);
    }

    private static double[] gpt2LayerNorm(Weights w, double[] x, String prefix, int d, double eps) {
        RefTensor weight = w.get(gpt2Name(w, prefix + ".weight"), d);
        RefTensor bias = w.get(gpt2Name(w, prefix + ".bias"), d);
        return layerNorm(x, weight, bias, eps);
    }

    /** Real GPT-2 files have no prefix; GPT2LMHeadModel state dicts use "transformer.". Accept both. */
    private static String gpt2Name(Weights w, String name) {
        if (w.has(name)) {
            return name;
        }
        String prefixed = "transformer." + name;
        if (w.has(prefixed)) {
            return prefixed;
        }
        throw new IllegalArgumentException(
                "missing tensor for model_type gpt2: " + name + " (also tried " + prefixed + ")");
    }

    // =====================================================================================
    // Llama family: llama, qwen2, qwen3, gemma2 (and llama2.c checkpoints)
    // =====================================================================================

    private static double[][] llamaFamily(Map<String, Object> cfg, Weights w, int[] tokens,
                                          boolean llama2cRope) {
        String type = w.modelType;
        boolean gemma3 = type.equals("gemma3_text");
        boolean gemma = type.equals("gemma2") || gemma3;
        boolean qwen2 = type.equals("qwen2");
        boolean qwen3 = type.equals("qwen3");

        int d = reqInt(cfg, "hidden_size");
        int inter = reqInt(cfg, "intermediate_size");
        int nLayers = reqInt(cfg, "num_hidden_layers");
        int nHeads = reqInt(cfg, "num_attention_heads");
        // absent: the config class's default (MistralConfig 8, Qwen2/Qwen3Config 32, Gemma2/Gemma3TextConfig 4,
        // LlamaConfig num_attention_heads); null: num_attention_heads
        int kvDefault = switch (type) {
            case "mistral" -> 8;
            case "qwen2", "qwen3" -> 32;
            case "gemma2", "gemma3_text" -> 4;
            default -> nHeads;
        };
        int nKv = cfg.containsKey("num_key_value_heads") && cfg.get("num_key_value_heads") == null ? nHeads
                : intOr(cfg, "num_key_value_heads", kvDefault);
        if (nKv <= 0 || nHeads % nKv != 0) {
            throw new IllegalArgumentException(
                    "num_attention_heads " + nHeads + " is not a multiple of num_key_value_heads " + nKv);
        }
        double eps = doubleOr(cfg, "rms_norm_eps", 1e-6);
        double normOffset = gemma ? 1.0 : 0.0; // Gemma RMSNorm scales by (1 + w)
        if (gemma && boolOr(cfg, "use_bidirectional_attention", false)) {
            throw new IllegalArgumentException("use_bidirectional_attention: the reference computes causal attention only");
        }

        // head_dim: config value if present, else inferred from q_proj (HF class defaults differ per
        // model: llama/qwen2 hidden/heads, qwen3 128, gemma2 256; the tensor shape is what HF loads).
        RefTensor q0 = w.get("model.layers.0.self_attn.q_proj.weight");
        Integer cfgHeadDim = nullableInt(cfg, "head_dim");
        int headDim = cfgHeadDim != null ? cfgHeadDim : divide(dim(q0, 0), nHeads, "q_proj rows", "num_attention_heads");
        int qDim = nHeads * headDim;
        int kvDim = nKv * headDim;

        // biases
        boolean attnBias = !type.equals("mistral") && boolOr(cfg, "attention_bias", false); // MistralAttention: none
        boolean qkvBias = qwen2 || attnBias;
        boolean oBias = !qwen2 && attnBias;
        boolean mlpBias = !gemma && !qwen2 && !qwen3 && boolOr(cfg, "mlp_bias", false);

        String act = gemma
                ? strOr(cfg, "hidden_activation", strOr(cfg, "hidden_act", "gelu_pytorch_tanh"))
                : strOr(cfg, "hidden_act", "silu");
        boolean tied = boolOr(cfg, "tie_word_embeddings", gemma);

        // attention score scale, soft-capping and sliding windows
        double scale = gemma
                ? Math.pow(doubleOr(cfg, "query_pre_attn_scalar", 256), -0.5)
                : 1.0 / Math.sqrt(headDim);
        // Gemma 3 caps no attention logits: HF's Gemma3Attention.forward passes no softcap to the attention
        // function (Gemma2Attention passes attn_logit_softcapping), whatever the config says.
        double attnSoftcap = type.equals("gemma2") ? nullableDoubleOr(cfg, "attn_logit_softcapping", 50.0) : 0.0;
        double finalSoftcap = gemma ? nullableDoubleOr(cfg, "final_logit_softcapping", 30.0) : 0.0;
        Integer[] window = slidingWindows(cfg, type, nLayers);

        // Gemma 3: global layers rotate with rope_theta and the config's rope_scaling; sliding layers
        // with rope_local_base_freq and no scaling (HF: a copy of the config with rope_scaling default).
        double[] invFreq = ropeInvFreq(cfg, headDim, "rope_theta");
        double[] localInvFreq = null;
        boolean[] slidingType = new boolean[nLayers];
        if (gemma3) {
            double base = doubleOr(cfg, "rope_local_base_freq", 10_000.0);
            localInvFreq = new double[headDim / 2];
            for (int i = 0; i < localInvFreq.length; i++) {
                localInvFreq[i] = 1.0 / Math.pow(base, (2.0 * i) / headDim);
            }
            slidingType = gemma3SlidingTypes(cfg, nLayers);
        }

        RefTensor embed = w.get("model.embed_tokens.weight");
        int vocab = intOr(cfg, "vocab_size", dim(embed, 0));
        w.checkShape(embed, vocab, d);
        checkTokenRange(tokens, vocab);
        int n = tokens.length;

        double[][] x = new double[n][];
        for (int pos = 0; pos < n; pos++) {
            x[pos] = row(embed, tokens[pos]);
            if (gemma) {
                scaleInPlace(x[pos], Math.sqrt(d)); // HF: hidden * hidden_size**0.5 (cast to dtype)
            }
        }

        for (int l = 0; l < nLayers; l++) {
            String p = "model.layers." + l + ".";
            RefTensor inNorm = w.get(p + "input_layernorm.weight", d);
            RefTensor postAttnNorm = w.get(p + "post_attention_layernorm.weight", d);
            RefTensor wq = w.get(p + "self_attn.q_proj.weight", qDim, d);
            RefTensor wk = w.get(p + "self_attn.k_proj.weight", kvDim, d);
            RefTensor wv = w.get(p + "self_attn.v_proj.weight", kvDim, d);
            RefTensor wo = w.get(p + "self_attn.o_proj.weight", d, qDim);
            RefTensor bq = qkvBias ? w.get(p + "self_attn.q_proj.bias", qDim) : null;
            RefTensor bk = qkvBias ? w.get(p + "self_attn.k_proj.bias", kvDim) : null;
            RefTensor bv = qkvBias ? w.get(p + "self_attn.v_proj.bias", kvDim) : null;
            RefTensor bo = oBias ? w.get(p + "self_attn.o_proj.bias", d) : null;
            boolean qkNorm = qwen3 || gemma3;
            RefTensor qNorm = qkNorm ? w.get(p + "self_attn.q_norm.weight", headDim) : null;
            RefTensor kNorm = qkNorm ? w.get(p + "self_attn.k_norm.weight", headDim) : null;
            double[] layerInvFreq = gemma3 && slidingType[l] ? localInvFreq : invFreq;
            RefTensor gate = w.get(p + "mlp.gate_proj.weight", inter, d);
            RefTensor up = w.get(p + "mlp.up_proj.weight", inter, d);
            RefTensor down = w.get(p + "mlp.down_proj.weight", d, inter);
            RefTensor gateB = mlpBias ? w.get(p + "mlp.gate_proj.bias", inter) : null;
            RefTensor upB = mlpBias ? w.get(p + "mlp.up_proj.bias", inter) : null;
            RefTensor downB = mlpBias ? w.get(p + "mlp.down_proj.bias", d) : null;
            RefTensor preFfNorm = gemma ? w.get(p + "pre_feedforward_layernorm.weight", d) : null;
            RefTensor postFfNorm = gemma ? w.get(p + "post_feedforward_layernorm.weight", d) : null;

            // attention: project and rotate q, k for every position first
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int pos = 0; pos < n; pos++) {
                double[] h = rmsNorm(x[pos], inNorm, eps, normOffset);
                rounded(h);
                q[pos] = rounded(matVec(h, wq, bq));
                k[pos] = rounded(matVec(h, wk, bk));
                v[pos] = rounded(matVec(h, wv, bv));
                if (qkNorm) { // per-head RMSNorm on q and k, before RoPE (Gemma 3: scale 1 + w)
                    perHeadRmsNorm(q[pos], nHeads, headDim, qNorm, eps, normOffset);
                    perHeadRmsNorm(k[pos], nKv, headDim, kNorm, eps, normOffset);
                }
                if (llama2cRope) {
                    ropeConsecutivePairs(q[pos], nHeads, headDim, layerInvFreq, pos);
                    ropeConsecutivePairs(k[pos], nKv, headDim, layerInvFreq, pos);
                } else {
                    ropeRotateHalf(q[pos], nHeads, headDim, headDim, layerInvFreq, pos);
                    ropeRotateHalf(k[pos], nKv, headDim, headDim, layerInvFreq, pos);
                }
            }
            double[][] att = causalAttention(q, k, v, nHeads, nKv, headDim, scale, attnSoftcap, window[l]);

            for (int pos = 0; pos < n; pos++) {
                double[] a = rounded(matVec(rounded(att[pos].clone()), wo, bo));
                if (gemma) {
                    a = rmsNorm(a, postAttnNorm, eps, normOffset);
                }
                addInPlace(x[pos], a);

                double[] h = rmsNorm(x[pos], gemma ? preFfNorm : postAttnNorm, eps, normOffset);
                double[] m = rounded(gatedMlp(rounded(h), gate, gateB, up, upB, down, downB, act));
                if (gemma) {
                    m = rmsNorm(m, postFfNorm, eps, normOffset);
                }
                addInPlace(x[pos], m);
            }
        }

        RefTensor finalNorm = w.get("model.norm.weight", d);
        RefTensor unembed = tied ? embed : w.get("lm_head.weight", vocab, d);
        double[][] logits = new double[n][];
        for (int pos = 0; pos < n; pos++) {
            logits[pos] = matVec(rmsNorm(x[pos], finalNorm, eps, normOffset), unembed, null);
            if (finalSoftcap > 0) {
                for (int i = 0; i < vocab; i++) {
                    logits[pos][i] = softcap(logits[pos][i], finalSoftcap);
                }
            }
        }
        return logits;
    }

    /**
     * Gemma3TextConfig's class defaults (transformers), filled in for keys the config does not have at
     * all; an explicit null stays null (for the soft caps and the window: disabled).
     */
    private static Map<String, Object> gemma3TextDefaults(Map<String, Object> cfg) {
        Map<String, Object> c = new HashMap<>(cfg);
        Object[][] defaults = {
            {"vocab_size", 262208}, {"hidden_size", 2304}, {"intermediate_size", 9216},
            {"num_hidden_layers", 26}, {"num_attention_heads", 8}, {"num_key_value_heads", 4},
            {"head_dim", 256}, {"hidden_activation", "gelu_pytorch_tanh"}, {"max_position_embeddings", 131072},
            {"rms_norm_eps", 1e-6}, {"rope_theta", 1_000_000.0}, {"rope_local_base_freq", 10_000.0},
            {"query_pre_attn_scalar", 256}, {"sliding_window", 4096}, {"sliding_window_pattern", 6},
            {"attn_logit_softcapping", null}, {"final_logit_softcapping", null}, {"tie_word_embeddings", true},
        };
        for (Object[] kv : defaults) {
            if (!c.containsKey((String) kv[0])) {
                c.put((String) kv[0], kv[1]);
            }
        }
        return c;
    }

    /**
     * Gemma3ForConditionalGeneration, text only: the settings are the nested text_config (a
     * Gemma3TextConfig), the text tensors are language_model.model.* / language_model.lm_head.weight.
     * No final logit soft cap, whatever text_config says.
     */
    @SuppressWarnings("unchecked")
    private static double[][] gemma3Multimodal(Map<String, Object> config, Map<String, RefTensor> tensors,
                                               int[] tokens) {
        Object text = config.get("text_config");
        if (!(text instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("gemma3 config has no text_config object: " + text);
        }
        Map<String, Object> textCfg = new HashMap<>((Map<String, Object>) text);
        textCfg.put("model_type", "gemma3_text");
        // Gemma3ForConditionalGeneration.forward returns lm_head(hidden) uncapped; only Gemma3ForCausalLM caps.
        textCfg.put("final_logit_softcapping", null);
        if (!textCfg.containsKey("tie_word_embeddings") && config.containsKey("tie_word_embeddings")) {
            textCfg.put("tie_word_embeddings", config.get("tie_word_embeddings"));
        }
        Map<String, RefTensor> textTensors = new HashMap<>();
        for (Map.Entry<String, RefTensor> e : tensors.entrySet()) {
            if (e.getKey().startsWith("language_model.")) {
                textTensors.put(e.getKey().substring("language_model.".length()), e.getValue());
            }
        }
        return llamaFamily(gemma3TextDefaults(textCfg), new Weights(textTensors, "gemma3_text"), tokens, false);
    }

    /**
     * Gemma 3 layer types: true for "sliding_attention" layers. An explicit layer_types list wins;
     * otherwise layer l is "full_attention" exactly when (l + 1) is a multiple of sliding_window_pattern.
     */
    private static boolean[] gemma3SlidingTypes(Map<String, Object> cfg, int nLayers) {
        boolean[] sliding = new boolean[nLayers];
        Object layerTypes = cfg.get("layer_types");
        int pattern = intOr(cfg, "sliding_window_pattern", 6);
        for (int l = 0; l < nLayers; l++) {
            if (layerTypes instanceof List<?> list) {
                if (list.size() != nLayers) {
                    throw new IllegalArgumentException("layer_types has " + list.size() + " entries, expected " + nLayers);
                }
                Object t = list.get(l);
                if (!"sliding_attention".equals(t) && !"full_attention".equals(t)) {
                    throw new IllegalArgumentException("unknown layer type " + t);
                }
                sliding[l] = "sliding_attention".equals(t);
            } else {
                sliding[l] = (l + 1) % pattern != 0;
            }
        }
        return sliding;
    }

    /**
     * Sliding-window size per layer (null = full causal attention). gemma2: even layers slide.
     * qwen2/qwen3: only with use_sliding_window, on layers >= max_window_layers. An explicit
     * "layer_types" list (newer HF configs) takes precedence. mistral: every layer, MistralConfig's 4096 when
     * absent, none when null.
     */
    private static Integer[] slidingWindows(Map<String, Object> cfg, String type, int nLayers) {
        Integer[] window = new Integer[nLayers];
        if (type.equals("mistral")) {
            java.util.Arrays.fill(window, cfg.containsKey("sliding_window") ? nullableInt(cfg, "sliding_window")
                    : Integer.valueOf(4096));
            return window;
        }
        boolean gemma = type.equals("gemma2") || type.equals("gemma3_text");
        boolean qwen = type.equals("qwen2") || type.equals("qwen3");
        if (!gemma && !qwen) {
            return window;
        }
        if (type.equals("gemma3_text")) {
            boolean[] sliding = gemma3SlidingTypes(cfg, nLayers);
            Integer size = nullableInt(cfg, "sliding_window"); // defaults already filled in
            for (int l = 0; l < nLayers; l++) {
                window[l] = sliding[l] ? size : null;
            }
            return window;
        }
        Integer size;
        if (gemma) {
            size = cfg.containsKey("sliding_window") ? nullableInt(cfg, "sliding_window") : Integer.valueOf(4096);
        } else {
            size = boolOr(cfg, "use_sliding_window", false) ? nullableInt(cfg, "sliding_window") : null;
        }
        Object layerTypes = cfg.get("layer_types");
        for (int l = 0; l < nLayers; l++) {
            boolean sliding;
            if (layerTypes instanceof List<?> list) {
                if (list.size() != nLayers) {
                    throw new IllegalArgumentException("layer_types has " + list.size() + " entries, expected " + nLayers);
                }
                sliding = "sliding_attention".equals(list.get(l));
            } else if (gemma) {
                sliding = l % 2 == 0;
            } else {
                sliding = l >= intOr(cfg, "max_window_layers", 28);
            }
            window[l] = sliding ? size : null;
        }
        return window;
    }

    // =====================================================================================
    // GPT-NeoX (HF GPTNeoXForCausalLM, e.g. Pythia)
    // =====================================================================================

    private static double[][] gptNeox(Map<String, Object> cfg, Weights w, int[] tokens) {
        int d = reqInt(cfg, "hidden_size");
        int nLayers = reqInt(cfg, "num_hidden_layers");
        int nHeads = reqInt(cfg, "num_attention_heads");
        int inter = reqInt(cfg, "intermediate_size");
        double eps = doubleOr(cfg, "layer_norm_eps", 1e-5);
        boolean parallel = boolOr(cfg, "use_parallel_residual", true);
        String act = strOr(cfg, "hidden_act", "gelu");
        boolean bias = boolOr(cfg, "attention_bias", true);
        boolean tied = boolOr(cfg, "tie_word_embeddings", false);
        int headDim = divide(d, nHeads, "hidden_size", "num_attention_heads");
        // GPTNeoXConfig reads rotary_pct and rotary_emb_base (v5: inside rope_parameters); a top-level
        // partial_rotary_factor or rope_theta is overwritten (v4) or left unused (v5)
        Map<String, Object> rope = new HashMap<>(cfg);
        rope.remove("partial_rotary_factor");
        rope.remove("rope_theta");
        Map<String, Object> params = mapOr(cfg, "rope_parameters");
        double rotaryPct = doubleOr(cfg, "rotary_pct", params != null ? doubleOr(params, "partial_rotary_factor", 0.25)
                : 0.25);
        int rotaryDims = (int) (headDim * rotaryPct);
        double[] invFreq = ropeInvFreq(rope, rotaryDims, "rotary_emb_base");
        int n = tokens.length;

        RefTensor embed = w.get("gpt_neox.embed_in.weight");
        int vocab = intOr(cfg, "vocab_size", dim(embed, 0));
        w.checkShape(embed, vocab, d);
        checkTokenRange(tokens, vocab);

        double[][] x = new double[n][];
        for (int pos = 0; pos < n; pos++) {
            x[pos] = row(embed, tokens[pos]);
        }

        for (int l = 0; l < nLayers; l++) {
            String p = "gpt_neox.layers." + l + ".";
            RefTensor ln1W = w.get(p + "input_layernorm.weight", d);
            RefTensor ln1B = w.get(p + "input_layernorm.bias", d);
            RefTensor ln2W = w.get(p + "post_attention_layernorm.weight", d);
            RefTensor ln2B = w.get(p + "post_attention_layernorm.bias", d);
            RefTensor qkvW = w.get(p + "attention.query_key_value.weight", 3 * d, d);
            RefTensor qkvB = bias ? w.get(p + "attention.query_key_value.bias", 3 * d) : null;
            RefTensor denseW = w.get(p + "attention.dense.weight", d, d);
            RefTensor denseB = bias ? w.get(p + "attention.dense.bias", d) : null;
            RefTensor upW = w.get(p + "mlp.dense_h_to_4h.weight", inter, d);
            RefTensor upB = w.get(p + "mlp.dense_h_to_4h.bias", inter);
            RefTensor downW = w.get(p + "mlp.dense_4h_to_h.weight", d, inter);
            RefTensor downB = w.get(p + "mlp.dense_4h_to_h.bias", d);

            double[][] q = new double[n][d];
            double[][] k = new double[n][d];
            double[][] v = new double[n][d];
            for (int pos = 0; pos < n; pos++) {
                double[] qkv = matVec(layerNorm(x[pos], ln1W, ln1B, eps), qkvW, qkvB);
                // HF layout: view as [n_heads, 3 * head_dim], then chunk into q | k | v per head
                for (int h = 0; h < nHeads; h++) {
                    int src = h * 3 * headDim;
                    int dst = h * headDim;
                    for (int e = 0; e < headDim; e++) {
                        q[pos][dst + e] = qkv[src + e];
                        k[pos][dst + e] = qkv[src + headDim + e];
                        v[pos][dst + e] = qkv[src + 2 * headDim + e];
                    }
                }
                ropeRotateHalf(q[pos], nHeads, headDim, rotaryDims, invFreq, pos);
                ropeRotateHalf(k[pos], nHeads, headDim, rotaryDims, invFreq, pos);
            }
            double[][] att = causalAttention(q, k, v, nHeads, nHeads, headDim, 1.0 / Math.sqrt(headDim), 0.0, null);

            for (int pos = 0; pos < n; pos++) {
                double[] a = matVec(att[pos], denseW, denseB);
                if (parallel) {
                    // x + attn(ln1 x) + mlp(ln2 x), both reading the same block input
                    double[] m = plainMlp(layerNorm(x[pos], ln2W, ln2B, eps), upW, upB, downW, downB, act);
                    for (int i = 0; i < d; i++) {
                        x[pos][i] = (m[i] + a[i]) + x[pos][i];
                    }
                } else {
                    addInPlace(x[pos], a);
                    double[] m = plainMlp(layerNorm(x[pos], ln2W, ln2B, eps), upW, upB, downW, downB, act);
                    addInPlace(x[pos], m);
                }
            }
        }

        RefTensor lnfW = w.get("gpt_neox.final_layer_norm.weight", d);
        RefTensor lnfB = w.get("gpt_neox.final_layer_norm.bias", d);
        RefTensor unembed = tied ? embed : w.get("embed_out.weight", vocab, d);
        double[][] logits = new double[n][];
        for (int pos = 0; pos < n; pos++) {
            logits[pos] = matVec(layerNorm(x[pos], lnfW, lnfB, eps), unembed, null);
        }
        return logits;
    }

    // =====================================================================================
    // llama2.c checkpoint reader
    // =====================================================================================

    private record Llama2cModel(Map<String, Object> config, Map<String, RefTensor> tensors, int seqLen) {
    }

    /** Reads a llama2.c .bin file and renames its arrays to Hugging Face Llama names (no permutation). */
    private static Llama2cModel readLlama2c(Path bin) throws IOException {
        byte[] bytes = Files.readAllBytes(bin);
        if (bytes.length < 28) {
            throw new IOException("not a llama2.c checkpoint (shorter than its 28-byte header): " + bin);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.getInt(0) == 0x616b3432) { // "ak42"
            throw new IOException("llama2.c version-1/2 export format (magic ak42) is not supported: " + bin);
        }
        int dim = buf.getInt();
        int hidden = buf.getInt();
        int nLayers = buf.getInt();
        int nHeads = buf.getInt();
        int nKv = buf.getInt();
        int vocabRaw = buf.getInt();
        int seqLen = buf.getInt();
        boolean shared = vocabRaw > 0;
        int vocab = Math.abs(vocabRaw);
        if (dim <= 0 || hidden <= 0 || nLayers <= 0 || nHeads <= 0 || nKv <= 0 || vocab == 0 || seqLen <= 0
                || dim % nHeads != 0 || nHeads % nKv != 0) {
            throw new IOException("implausible llama2.c header " + Arrays.toString(
                    new int[] {dim, hidden, nLayers, nHeads, nKv, vocabRaw, seqLen}) + " in " + bin);
        }
        int headSize = dim / nHeads;
        int kvDim = dim * nKv / nHeads;

        long floats = (long) vocab * dim                 // token_embedding
                + (long) nLayers * dim                    // rms_att_weight
                + (long) nLayers * dim * dim              // wq
                + 2L * nLayers * kvDim * dim              // wk, wv
                + (long) nLayers * dim * dim              // wo
                + (long) nLayers * dim                    // rms_ffn_weight
                + 3L * nLayers * hidden * dim             // w1, w2, w3
                + dim                                     // rms_final_weight
                + 2L * seqLen * headSize / 2              // legacy freq_cis_real / imag
                + (shared ? 0L : (long) vocab * dim);     // classifier
        long expected = 28 + 4 * floats;
        if (bytes.length != expected) {
            throw new IOException("llama2.c file " + bin + " has " + bytes.length + " bytes, header implies " + expected);
        }
        FloatBuffer f = buf.position(28).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();

        Map<String, RefTensor> t = new HashMap<>();
        RefTensor embed = take(f, vocab, dim);
        t.put("model.embed_tokens.weight", embed);
        RefTensor[] rmsAtt = takeLayers(f, nLayers, dim);
        RefTensor[] wq = takeLayers(f, nLayers, dim, dim);
        RefTensor[] wk = takeLayers(f, nLayers, kvDim, dim);
        RefTensor[] wv = takeLayers(f, nLayers, kvDim, dim);
        RefTensor[] wo = takeLayers(f, nLayers, dim, dim);
        RefTensor[] rmsFfn = takeLayers(f, nLayers, dim);
        RefTensor[] w1 = takeLayers(f, nLayers, hidden, dim);
        RefTensor[] w2 = takeLayers(f, nLayers, dim, hidden);
        RefTensor[] w3 = takeLayers(f, nLayers, hidden, dim);
        t.put("model.norm.weight", take(f, dim));
        f.position(f.position() + 2 * (seqLen * headSize / 2)); // skip legacy RoPE tables
        if (!shared) {
            t.put("lm_head.weight", take(f, vocab, dim));
        }
        for (int l = 0; l < nLayers; l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", rmsAtt[l]);
            t.put(p + "self_attn.q_proj.weight", wq[l]);
            t.put(p + "self_attn.k_proj.weight", wk[l]);
            t.put(p + "self_attn.v_proj.weight", wv[l]);
            t.put(p + "self_attn.o_proj.weight", wo[l]);
            t.put(p + "post_attention_layernorm.weight", rmsFfn[l]);
            t.put(p + "mlp.gate_proj.weight", w1[l]);
            t.put(p + "mlp.down_proj.weight", w2[l]);
            t.put(p + "mlp.up_proj.weight", w3[l]);
        }

        Map<String, Object> c = new HashMap<>();
        c.put("model_type", "llama");
        c.put("hidden_size", dim);
        c.put("intermediate_size", hidden);
        c.put("num_hidden_layers", nLayers);
        c.put("num_attention_heads", nHeads);
        c.put("num_key_value_heads", nKv);
        c.put("head_dim", headSize);
        c.put("vocab_size", vocab);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "silu");
        c.put("tie_word_embeddings", shared);
        return new Llama2cModel(c, t, seqLen);
    }

    private static RefTensor take(FloatBuffer f, int... shape) {
        int count = 1;
        for (int s : shape) {
            count *= s;
        }
        float[] data = new float[count];
        f.get(data);
        return new RefTensor(shape, data);
    }

    private static RefTensor[] takeLayers(FloatBuffer f, int nLayers, int... shape) {
        RefTensor[] out = new RefTensor[nLayers];
        for (int l = 0; l < nLayers; l++) {
            out[l] = take(f, shape);
        }
        return out;
    }

    // =====================================================================================
    // Building blocks
    // =====================================================================================

    /** nn.Linear / llama2.c layout: w is [out, in]; y = W x + b (b may be null). */
    static double[] matVec(double[] x, RefTensor w, RefTensor b) {
        int out = w.shape()[0];
        int in = w.shape()[1];
        if (x.length != in) {
            throw new IllegalArgumentException("matVec: input length " + x.length + " vs weight " + w);
        }
        float[] wd = w.data();
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0.0;
            int base = o * in;
            for (int i = 0; i < in; i++) {
                s += (double) wd[base + i] * x[i];
            }
            y[o] = b == null ? s : s + b.data()[o];
        }
        return y;
    }

    /** GPT-2 Conv1D layout: w is [in, out]; y = x W + b (b may be null). */
    static double[] matVecInOut(double[] x, RefTensor w, RefTensor b) {
        int in = w.shape()[0];
        int out = w.shape()[1];
        if (x.length != in) {
            throw new IllegalArgumentException("matVecInOut: input length " + x.length + " vs weight " + w);
        }
        float[] wd = w.data();
        double[] y = new double[out];
        for (int i = 0; i < in; i++) {
            double xi = x[i];
            int base = i * out;
            for (int o = 0; o < out; o++) {
                y[o] += xi * wd[base + o];
            }
        }
        if (b != null) {
            for (int o = 0; o < out; o++) {
                y[o] += b.data()[o];
            }
        }
        return y;
    }

    /** LayerNorm with biased variance: (x - mean) / sqrt(var + eps) * w + b. */
    static double[] layerNorm(double[] x, RefTensor w, RefTensor b, double eps) {
        int n = x.length;
        double mean = 0.0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        double var = 0.0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= n;
        double inv = 1.0 / Math.sqrt(var + eps);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = (x[i] - mean) * inv * w.data()[i] + b.data()[i];
        }
        return y;
    }

    /** RMSNorm: x / sqrt(mean(x^2) + eps) * (offset + w); offset is 0 (Llama) or 1 (Gemma). */
    static double[] rmsNorm(double[] x, RefTensor w, double eps, double offset) {
        int n = x.length;
        double ms = 0.0;
        for (double v : x) {
            ms += v * v;
        }
        ms /= n;
        double inv = 1.0 / Math.sqrt(ms + eps);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = x[i] * inv * (offset + w.data()[i]);
        }
        return y;
    }

    /** Qwen3 / Gemma 3 q_norm / k_norm: RMSNorm over each head's head_dim slice, in place. */
    private static void perHeadRmsNorm(double[] vec, int nHeads, int headDim, RefTensor w, double eps,
                                       double offset) {
        for (int h = 0; h < nHeads; h++) {
            double[] slice = Arrays.copyOfRange(vec, h * headDim, (h + 1) * headDim);
            System.arraycopy(rmsNorm(slice, w, eps, offset), 0, vec, h * headDim, headDim);
        }
    }

    /**
     * Hugging Face "rotate_half" RoPE, in place: within the first rotaryDims dims of each head,
     * dims i and i + rotaryDims/2 form a pair rotated by angle pos * invFreq[i]; other dims pass through.
     */
    static void ropeRotateHalf(double[] vec, int nHeads, int headDim, int rotaryDims, double[] invFreq, int pos) {
        int half = rotaryDims / 2;
        for (int h = 0; h < nHeads; h++) {
            int base = h * headDim;
            for (int i = 0; i < half; i++) {
                double angle = pos * invFreq[i];
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                double x1 = vec[base + i];
                double x2 = vec[base + i + half];
                vec[base + i] = x1 * c - x2 * s;
                vec[base + i + half] = x2 * c + x1 * s;
            }
        }
    }

    /** llama2.c RoPE, in place: consecutive pairs (2i, 2i+1) of each head rotated by pos * invFreq[i]. */
    static void ropeConsecutivePairs(double[] vec, int nHeads, int headDim, double[] invFreq, int pos) {
        for (int h = 0; h < nHeads; h++) {
            int base = h * headDim;
            for (int i = 0; i < headDim / 2; i++) {
                double angle = pos * invFreq[i];
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                double x0 = vec[base + 2 * i];
                double x1 = vec[base + 2 * i + 1];
                vec[base + 2 * i] = x0 * c - x1 * s;
                vec[base + 2 * i + 1] = x0 * s + x1 * c;
            }
        }
    }

    /**
     * RoPE inverse frequencies for rotaryDims rotated dims: 1 / theta^(2i / rotaryDims), then the
     * config's scaling (HF rope_scaling, or the newer rope_parameters): "default", "linear"
     * (inv_freq / factor) or "llama3" (HF _compute_llama3_parameters). Other types are rejected.
     */
    static double[] ropeInvFreq(Map<String, Object> cfg, int rotaryDims, String thetaKey) {
        Map<String, Object> params = mapOr(cfg, "rope_parameters");
        Map<String, Object> scaling = params != null ? params : mapOr(cfg, "rope_scaling");
        double theta = doubleOr(cfg, thetaKey, doubleOr(cfg, "rope_theta", 10000.0));
        if (params != null && params.get("rope_theta") != null) {
            theta = doubleOr(params, "rope_theta", theta);
        }
        double[] inv = new double[rotaryDims / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / rotaryDims);
        }
        if (scaling == null) {
            return inv;
        }
        String ropeType = strOr(scaling, "rope_type", strOr(scaling, "type", "default"));
        switch (ropeType) {
            case "default":
                return inv;
            case "linear": {
                double factor = reqDouble(scaling, "factor");
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
                return inv;
            }
            case "llama3": {
                double factor = reqDouble(scaling, "factor");
                double lowFreqFactor = reqDouble(scaling, "low_freq_factor");
                double highFreqFactor = reqDouble(scaling, "high_freq_factor");
                // transformers v5: the object's value, else a top-level one, else max_position_embeddings
                double oldContext = scaling.get("original_max_position_embeddings") != null
                        ? reqDouble(scaling, "original_max_position_embeddings")
                        : doubleOr(cfg, "original_max_position_embeddings", reqDouble(cfg, "max_position_embeddings"));
                double lowFreqWavelen = oldContext / lowFreqFactor;
                double highFreqWavelen = oldContext / highFreqFactor;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowFreqWavelen) {
                        inv[i] = inv[i] / factor;                     // low frequency: fully scaled
                    } else if (!(wavelen < highFreqWavelen)) {        // medium: smooth interpolation
                        double smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                        inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                    }                                                 // high frequency: unchanged
                }
                return inv;
            }
            default:
                throw new IllegalArgumentException("unsupported rope scaling type: " + ropeType);
        }
    }

    /**
     * Causal softmax attention. q is [seq][nHeads*headDim]; k, v are [seq][nKvHeads*headDim];
     * query head h reads kv head h / (nHeads / nKvHeads). Score = (q . k) * scale, then
     * cap * tanh(score / cap) if softcap > 0. Key j is visible to query i iff j <= i and, when
     * window is non-null, i - j < window. Returns [seq][nHeads*headDim] (heads concatenated).
     */
    static double[][] causalAttention(double[][] q, double[][] k, double[][] v, int nHeads, int nKvHeads,
                                      int headDim, double scale, double softcap, Integer window) {
        int n = q.length;
        int group = nHeads / nKvHeads;
        double[][] out = new double[n][nHeads * headDim];
        for (int h = 0; h < nHeads; h++) {
            int qOff = h * headDim;
            int kvOff = (h / group) * headDim;
            for (int i = 0; i < n; i++) {
                double[] scores = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    if (window != null && i - j >= window) {
                        scores[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0.0;
                    for (int e = 0; e < headDim; e++) {
                        dot += q[i][qOff + e] * k[j][kvOff + e];
                    }
                    double s = dot * scale;
                    if (softcap > 0) {
                        s = softcap(s, softcap);
                    }
                    scores[j] = s;
                    max = Math.max(max, s);
                }
                double sum = 0.0;
                for (int j = 0; j <= i; j++) {
                    scores[j] = Math.exp(scores[j] - max); // exp(-inf) == 0 for masked keys
                    sum += scores[j];
                }
                for (int j = 0; j <= i; j++) {
                    double p = scores[j] / sum;
                    if (p == 0.0) {
                        continue;
                    }
                    for (int e = 0; e < headDim; e++) {
                        out[i][qOff + e] += p * v[j][kvOff + e];
                    }
                }
            }
        }
        return out;
    }

    /** Gated MLP (SwiGLU / GeGLU): down(act(gate x) * up x). */
    private static double[] gatedMlp(double[] x, RefTensor gate, RefTensor gateB, RefTensor up, RefTensor upB,
                                     RefTensor down, RefTensor downB, String act) {
        double[] g = matVec(x, gate, gateB);
        double[] u = matVec(x, up, upB);
        for (int i = 0; i < g.length; i++) {
            g[i] = activation(act, g[i]) * u[i];
        }
        return matVec(g, down, downB);
    }

    /** Plain MLP with nn.Linear layout: down(act(up x)). */
    private static double[] plainMlp(double[] x, RefTensor up, RefTensor upB, RefTensor down, RefTensor downB,
                                     String act) {
        double[] h = matVec(x, up, upB);
        for (int i = 0; i < h.length; i++) {
            h[i] = activation(act, h[i]);
        }
        return matVec(h, down, downB);
    }

    /** Hugging Face ACT2FN names used by the supported families. */
    static double activation(String name, double x) {
        switch (name) {
            case "gelu":
                return 0.5 * x * (1.0 + erf(x / SQRT_2));
            case "gelu_new":
            case "gelu_pytorch_tanh":
            case "gelu_fast":
                return 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
            case "relu":
                return Math.max(0.0, x);
            case "silu":
            case "swish":
                return x / (1.0 + Math.exp(-x));
            case "quick_gelu":
                return x / (1.0 + Math.exp(-1.702 * x));
            default:
                throw new IllegalArgumentException("unsupported activation: " + name);
        }
    }

    /**
     * Error function to near double precision, via the all-positive series
     * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1)); |x| > 6 gives +-1.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        double ax = Math.abs(x);
        if (ax > 6.0) {
            return Math.signum(x); // 1 - erf(6) < 2.2e-17
        }
        double twoX2 = 2.0 * ax * ax;
        double term = ax;
        double sum = ax;
        for (int n = 1; n < 1000; n++) {
            term *= twoX2 / (2 * n + 1);
            sum += term;
            if (term <= sum * 1e-17) {
                break;
            }
        }
        double r = 2.0 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum;
        return x < 0 ? -r : r;
    }

    private static double softcap(double s, double cap) {
        return cap * Math.tanh(s / cap);
    }

    // =====================================================================================
    // Small utilities
    // =====================================================================================

    private static double[] row(RefTensor t, int r) {
        int cols = t.shape()[1];
        double[] out = new double[cols];
        for (int i = 0; i < cols; i++) {
            out[i] = t.data()[r * cols + i];
        }
        return out;
    }

    private static void addInPlace(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    private static void scaleInPlace(double[] x, double s) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= s;
        }
    }

    private static int dim(RefTensor t, int axis) {
        if (t.shape().length <= axis) {
            throw new IllegalArgumentException("tensor " + t + " has no axis " + axis);
        }
        return t.shape()[axis];
    }

    private static int divide(int a, int b, String aName, String bName) {
        if (b <= 0 || a % b != 0) {
            throw new IllegalArgumentException(aName + " " + a + " is not divisible by " + bName + " " + b);
        }
        return a / b;
    }

    private static void checkTokensPresent(int[] tokens) {
        Objects.requireNonNull(tokens, "tokens");
        if (tokens.length == 0) {
            throw new IllegalArgumentException("need at least one token");
        }
    }

    private static void checkTokenRange(int[] tokens, int vocab) {
        for (int t : tokens) {
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("token id " + t + " outside vocabulary of size " + vocab);
            }
        }
    }

    /** Tensor lookup with "missing tensor" and shape errors that name the tensor. */
    private static final class Weights {
        final Map<String, RefTensor> map;
        final String modelType;

        Weights(Map<String, RefTensor> map, String modelType) {
            this.map = map;
            this.modelType = modelType;
        }

        boolean has(String name) {
            return map.get(name) != null;
        }

        RefTensor get(String name, int... expectedShape) {
            RefTensor t = map.get(name);
            if (t == null) {
                throw new IllegalArgumentException("missing tensor for model_type " + modelType + ": " + name);
            }
            if (expectedShape.length > 0) {
                checkShape(t, expectedShape);
            }
            return t;
        }

        void checkShape(RefTensor t, int... expectedShape) {
            if (!Arrays.equals(t.shape(), expectedShape)) {
                String name = map.entrySet().stream().filter(e -> e.getValue() == t).map(Map.Entry::getKey)
                        .findFirst().orElse("?");
                throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(t.shape())
                        + ", expected " + Arrays.toString(expectedShape));
            }
        }
    }

    // ---- config access (JSON values: Number, String, Boolean, Map, List, null; null counts as absent
    //      except where noted) ----

    private static int reqInt(Map<String, Object> cfg, String key) {
        Integer v = nullableInt(cfg, key);
        if (v == null) {
            throw new IllegalArgumentException("config is missing required key " + key);
        }
        return v;
    }

    private static int intOr(Map<String, Object> cfg, String key, int def) {
        Integer v = nullableInt(cfg, key);
        return v == null ? def : v;
    }

    private static Integer nullableInt(Map<String, Object> cfg, String key) {
        Object v = cfg.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number num) || num.doubleValue() != Math.rint(num.doubleValue())) {
            throw new IllegalArgumentException("config key " + key + " is not an integer: " + v);
        }
        return num.intValue();
    }

    private static double reqDouble(Map<String, Object> cfg, String key) {
        Object v = cfg.get(key);
        if (v == null) {
            throw new IllegalArgumentException("config is missing required key " + key);
        }
        return doubleOr(cfg, key, 0);
    }

    private static double doubleOr(Map<String, Object> cfg, String key, double def) {
        Object v = cfg.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Number num)) {
            throw new IllegalArgumentException("config key " + key + " is not a number: " + v);
        }
        return num.doubleValue();
    }

    /** Absent key: HF default; explicit null (or 0): feature disabled, returned as 0. */
    private static double nullableDoubleOr(Map<String, Object> cfg, String key, double defIfAbsent) {
        if (!cfg.containsKey(key)) {
            return defIfAbsent;
        }
        return doubleOr(cfg, key, 0.0);
    }

    private static boolean boolOr(Map<String, Object> cfg, String key, boolean def) {
        Object v = cfg.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException("config key " + key + " is not a boolean: " + v);
        }
        return b;
    }

    private static String strOr(Map<String, Object> cfg, String key, String def) {
        Object v = cfg.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("config key " + key + " is not a string: " + v);
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mapOr(Map<String, Object> cfg, String key) {
        Object v = cfg.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("config key " + key + " is not an object: " + v);
        }
        return (Map<String, Object>) v;
    }
}
