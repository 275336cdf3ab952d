package io.circuitscope.core.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.ConfigReader;
import io.circuitscope.core.io.TensorSource;
import io.circuitscope.core.model.Activation;
import io.circuitscope.core.model.LayerWeights;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import io.circuitscope.core.model.NormType;
import io.circuitscope.core.model.RotaryStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The Llama family as Hugging Face computes it: {@code llama}, {@code mistral}, {@code qwen2},
 * {@code qwen3}, {@code gemma2} and {@code gemma3_text} / {@code gemma3} (text part). Pre-RMSNorm,
 * rotary embeddings over the two halves of each head, a gated MLP (gate_proj / up_proj / down_proj)
 * and grouped-query attention.
 *
 * <p>Family differences handled here:
 * <ul>
 *   <li>llama: {@code attention_bias} (q, k, v, o biases), {@code mlp_bias}, {@code rope_scaling}
 *       "linear" and "llama3";</li>
 *   <li>mistral: as llama, but no biases (MistralAttention ignores {@code attention_bias}; a file with attention
 *       biases is refused); a non-null {@code sliding_window} restricts every layer;</li>
 *   <li>qwen2: q, k, v biases always, no o bias; {@code use_sliding_window: true} and sliding layers in
 *       {@code layer_types} are rejected (qwen3 too);</li>
 *   <li>qwen3: per-head RMSNorm {@code q_norm} / {@code k_norm} before rotary;</li>
 *   <li>gemma2: embedding times sqrt(hidden_size), RMSNorm weights stored as w with scale (1 + w)
 *       (folded at load time), sandwich norms, {@code query_pre_attn_scalar}, attention and final
 *       logit soft caps and a sliding window on even layers. Missing keys take the Hugging Face
 *       class defaults (soft caps 50 / 30, scalar 256, window 4096); an explicit null disables them.
 *       A {@code layer_types} list chooses the sliding layers. {@code use_bidirectional_attention: true}
 *       (an encoder, e.g. EmbeddingGemma) is refused, for Gemma 3 too: only causal attention is implemented;</li>
 *   <li>gemma3_text: as gemma2, plus per-head {@code q_norm} / {@code k_norm} with (1 + w) before rotary;
 *       no attention soft cap (Hugging Face's Gemma3Attention ignores {@code attn_logit_softcapping}; a
 *       configured value is reported at load time), a final soft cap only when configured; local layers
 *       from {@code layer_types} or {@code sliding_window_pattern} (default 6: layer i is global when
 *       (i + 1) % 6 == 0); global layers
 *       rotate with {@code rope_theta} (default 1e6) and {@code rope_scaling}, local layers with
 *       {@code rope_local_base_freq} (default 1e4) unscaled. Missing sizes take Gemma3TextConfig's defaults;</li>
 *   <li>gemma3: the multimodal wrapper; its text settings are read from {@code text_config} and the text
 *       tensors from {@code language_model.model.*} (or {@code model.language_model.*}); the vision tower
 *       is ignored. No final soft cap: Gemma3ForConditionalGeneration returns lm_head's logits uncapped
 *       (a configured {@code final_logit_softcapping} is reported at load time).</li>
 * </ul>
 *
 * <p>Extension: {@code "circuitscope_rope_style": "consecutive_pairs"} rotates pairs (2i, 2i+1) as
 * Meta's original code and llama2.c do; the llama2.c reader sets it.
 */
public final class LlamaFamilyAdapter implements ArchitectureAdapter {
    @Override
    public Set<String> modelTypes() {
        return Set.of("llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3_text", "gemma3");
    }

    /** The reader of the text model's settings: Gemma 3's nested text_config, otherwise the config itself. */
    static ConfigReader textConfig(ConfigReader raw) {
        return raw.requireString("model_type").equals("gemma3") ? raw.section("text_config") : raw;
    }

    @Override
    public ModelConfig config(ConfigReader raw) {
        String type = raw.requireString("model_type");
        ConfigReader c = textConfig(raw);
        boolean gemma3 = type.startsWith("gemma3");
        boolean gemma = type.equals("gemma2") || gemma3;
        // Gemma 3 checkpoints (the multimodal ones especially) leave most keys to Gemma3TextConfig's defaults.
        int d = size(c, "hidden_size", gemma3 ? 2304 : 0);
        int heads = size(c, "num_attention_heads", gemma3 ? 8 : 0);
        int kv = kvHeads(c, type, heads);
        int layers = size(c, "num_hidden_layers", gemma3 ? 26 : 0);
        int inter = size(c, "intermediate_size", gemma3 ? 9216 : 0);
        int vocab = size(c, "vocab_size", gemma3 ? 262208 : 0);
        int context = size(c, "max_position_embeddings", gemma3 ? 131072 : 0);
        if (heads % kv != 0) {
            throw c.error("num_key_value_heads", "(" + kv + (c.root().has("num_key_value_heads") ? ""
                    : ", the " + type + " config class's default, as the field is absent") + ") does not divide "
                    + "num_attention_heads (" + heads + ")");
        }
        int headDim;
        if (c.has("head_dim")) {
            headDim = c.requirePositiveInt("head_dim");
        } else if (type.equals("qwen3")) {
            headDim = 128; // Qwen3Config default
        } else if (gemma) {
            headDim = 256; // Gemma2Config and Gemma3TextConfig default
        } else {
            if (d % heads != 0) {
                throw c.error("hidden_size", "(" + d + ") is not divisible by num_attention_heads (" + heads
                        + ") and there is no head_dim");
            }
            headDim = d / heads;
        }
        if (gemma) {
            refuseBidirectional(c);
        }
        if (type.startsWith("qwen") && c.optBoolean("use_sliding_window", false)) {
            throw c.error("use_sliding_window", "is true; circuitscope does not implement Qwen's sliding-window "
                    + "layers (set it to false only if the sequences you run fit in sliding_window)");
        }
        if (type.startsWith("qwen") && c.has("layer_types") && c.node("layer_types").toString().contains(
                "\"sliding_attention\"")) {
            // Hugging Face's Qwen2/Qwen3 would slide these layers (or fail without a window); never run them in full
            throw c.error("layer_types", "lists 'sliding_attention' layers; circuitscope does not implement Qwen's "
                    + "sliding-window layers (only 'full_attention')");
        }

        // HF's Gemma 2/3 configs read only hidden_activation; a hidden_act beside it is a leftover of Gemma 1's
        Activation activation = ConfigFields.activation(c, gemma ? "hidden_activation" : "hidden_act",
                gemma ? "gelu_pytorch_tanh" : "silu");
        refusePartialRotary(c);

        String style = c.optString("circuitscope_rope_style", "halves");
        RotaryStyle rotaryStyle = switch (style) {
            case "halves" -> RotaryStyle.HALVES;
            case "consecutive_pairs" -> RotaryStyle.CONSECUTIVE_PAIRS;
            default -> throw c.error("circuitscope_rope_style", "must be 'halves' or 'consecutive_pairs', got '"
                    + style + "'");
        };

        ModelConfig.Builder b = ModelConfig.builder(type)
                .setSizes(d, layers, heads, inter, vocab, context)
                .optKvHeads(kv)
                .optDHead(headDim)
                .optNorm(NormType.RMS_NORM, c.optPositiveDouble("rms_norm_eps", 1e-6))
                .optLearnedPositions(false)
                .optActivation(activation)
                .optGatedMlp(true)
                .optQkNorm(type.equals("qwen3") || gemma3);
        if (gemma3) {
            gemma3Rotaries(c, b, headDim, rotaryStyle);
        } else {
            b.optRotary(RopeConfig.read(c, headDim, "rope_theta", rotaryStyle));
        }
        if (gemma) {
            double scalar = nullable(c, "query_pre_attn_scalar", 256);
            if (!(scalar > 0)) {
                throw c.error("query_pre_attn_scalar", "must be positive, got " + scalar);
            }
            // Soft caps as Hugging Face applies them. Gemma 2 caps attention logits and final logits (class
            // defaults 50 / 30). Gemma 3 never caps attention logits: Gemma3Attention.forward overrides Gemma 2's
            // and passes no softcap to the attention function, so attn_logit_softcapping is read (and checked)
            // but has no effect. Its final logits are capped by Gemma3ForCausalLM (gemma3_text, class default
            // None) but not by Gemma3ForConditionalGeneration (gemma3), whose forward returns lm_head(...) as is.
            // A configured cap HF ignores is reported once at load time (notes), not applied.
            double attnCap = nullable(c, "attn_logit_softcapping", gemma3 ? 0.0 : 50.0);
            double finalCap = nullable(c, "final_logit_softcapping", gemma3 ? 0.0 : 30.0);
            // HF divides by the cap, takes tanh and multiplies back, so a negative cap acts as its absolute value;
            // a cap <= 0 is none here (null reads as 0): refused rather than silently left uncapped
            for (String field : List.of("attn_logit_softcapping", "final_logit_softcapping")) {
                double cap = field.startsWith("attn") ? attnCap : finalCap;
                if (cap < 0) {
                    throw c.error(field, "must be positive (or null: no cap), got " + cap);
                }
            }
            b.optAttnScale(Math.pow(scalar, -0.5))
                    .optSoftcaps(gemma3 ? 0.0 : attnCap, type.equals("gemma3") ? 0.0 : finalCap)
                    .optSandwichNorms(true)
                    .optEmbeddingScale(Math.sqrt(d));
            int window = wholeWindow(c);
            List<Boolean> local = gemmaLocalLayers(c, layers, gemma3);
            if (window > 0 || gemma3) {
                // Gemma 3's local layers keep their own rotary base even without a window.
                b.optSlidingWindow(window, local);
            }
        } else if (type.equals("mistral")) {
            int window = wholeWindow(c);
            if (window > 0) {
                b.optSlidingWindow(window, false);
            }
        }
        return ConfigFields.build(c, b);
    }

    /**
     * Gemma 3's soft caps that Hugging Face ignores, and so do we (see {@link #config}): the attention cap always,
     * the final cap in the multimodal wrapper.
     */
    @Override
    public List<String> notes(ConfigReader raw) {
        String type = raw.requireString("model_type");
        if (!type.startsWith("gemma3")) {
            return List.of();
        }
        ConfigReader c = textConfig(raw);
        List<String> notes = new ArrayList<>();
        if (c.has("attn_logit_softcapping")) {
            notes.add(c.where("attn_logit_softcapping") + " is " + c.node("attn_logit_softcapping")
                    + ", but Hugging Face's Gemma 3 attention does not apply it (Gemma3Attention passes no soft cap), "
                    + "so circuitscope does not either");
        }
        if (type.equals("gemma3") && c.has("final_logit_softcapping")) {
            notes.add(c.where("final_logit_softcapping") + " is " + c.node("final_logit_softcapping")
                    + ", but Hugging Face's Gemma3ForConditionalGeneration (model_type gemma3) does not cap its "
                    + "logits (only Gemma3ForCausalLM, gemma3_text, does), so circuitscope does not either");
        }
        return notes;
    }

    /**
     * Which layers are local ("sliding_attention"): the config's layer_types when present; otherwise
     * Gemma 2's even layers, or Gemma 3's sliding_window_pattern (default 6: layer i is global when
     * (i + 1) % pattern == 0).
     */
    private static final int MAX_LAYERS = 1_000_000;

    private static List<Boolean> gemmaLocalLayers(ConfigReader c, int layers, boolean gemma3) {
        if (c.has("layer_types")) {
            JsonNode types = c.node("layer_types");
            if (!types.isArray() || types.size() != layers) {
                throw c.error("layer_types", "must list one type per layer (" + layers + "), got " + types);
            }
            List<Boolean> local = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                String t = types.get(l).asText();
                if (!types.get(l).isTextual() || !(t.equals("sliding_attention") || t.equals("full_attention"))) {
                    throw c.error("layer_types", "entry " + l + " is " + types.get(l)
                            + "; expected 'sliding_attention' or 'full_attention'");
                }
                local.add(t.equals("sliding_attention"));
            }
            return local;
        }
        // the pattern holds an entry per layer, made before any weight is looked at: a corrupt layer count of 2^31 - 1
        // was an OutOfMemoryError ("Requested array size exceeds VM limit") instead of a missing layer's error
        if (layers > MAX_LAYERS) {
            throw c.error("num_hidden_layers", "is " + layers + ", more than the " + MAX_LAYERS + " layers circuitscope "
                    + "reads (no model has that many; is the config corrupt?)");
        }
        if (!gemma3) {
            return ModelConfig.evenLayers(layers);
        }
        String field = c.has("sliding_window_pattern") || !c.has("_sliding_window_pattern")
                ? "sliding_window_pattern" : "_sliding_window_pattern";
        int pattern = c.optPositiveInt(field, 6);
        return ModelConfig.slidingPattern(layers, pattern);
    }

    /**
     * Gemma 3's two rotaries: global layers use rope_theta (default 1e6) with rope_scaling; local layers
     * use rope_local_base_freq (default 1e4) without scaling. Newer configs give both in rope_parameters,
     * keyed by layer type.
     */
    private static void gemma3Rotaries(ConfigReader c, ModelConfig.Builder b, int headDim, RotaryStyle style) {
        JsonNode params = c.has("rope_parameters") ? c.node("rope_parameters") : null;
        boolean perType = params != null && params.isObject()
                && (params.has("full_attention") || params.has("sliding_attention"));
        if (params != null && params.isObject() && !perType && params.size() > 0) {
            // Gemma3TextConfig keys rope_parameters by layer type and passes over flat keys (v4 knows no
            // rope_parameters at all), so Hugging Face would rotate without this scaling or base
            throw c.error("rope_parameters", "is a flat object " + params + "; Hugging Face's Gemma3TextConfig reads "
                    + "it only keyed by layer type ({\"full_attention\": {...}, \"sliding_attention\": {...}}) and "
                    + "ignores flat keys, so write it that way (or as rope_scaling, which applies to the global layers)");
        }
        double globalTheta = c.optDouble("rope_theta", 1_000_000.0);
        double localTheta = c.optDouble("rope_local_base_freq", 10_000.0);
        if (perType) {
            b.optRotary(RopeConfig.fromParameters(c, "rope_parameters.full_attention", params.get("full_attention"),
                    globalTheta, "rope_theta", headDim, style));
            b.optLocalRotary(RopeConfig.fromParameters(c, "rope_parameters.sliding_attention",
                    params.get("sliding_attention"), localTheta, "rope_local_base_freq", headDim, style));
        } else {
            b.optRotary(RopeConfig.read(c, headDim, "rope_theta", 1_000_000.0, style));
            b.optLocalRotary(RopeConfig.fromParameters(c, "rope_local_base_freq", null, localTheta,
                    "rope_local_base_freq", headDim, style));
        }
    }

    /**
     * Gemma2Config and Gemma3TextConfig carry {@code use_bidirectional_attention} (EmbeddingGemma-style encoders
     * set it): Hugging Face then makes full-attention layers attend to every token and sliding layers to a
     * symmetric window. circuitscope runs causal language models only, so such a config is refused rather than
     * run with causal masks; false or null (the class default) is the causal model.
     */
    private static void refuseBidirectional(ConfigReader c) {
        String field = "use_bidirectional_attention";
        if (c.optBoolean(field, false)) {
            throw c.error(field, "is true: Hugging Face runs this model with bidirectional attention (full layers "
                    + "see every token, sliding layers a symmetric window), as an encoder such as EmbeddingGemma; "
                    + "circuitscope is a tool for causal language models and implements causal attention only, so "
                    + "it refuses this model rather than compute different outputs");
        }
    }

    /**
     * Rotary on part of each head (partial_rotary_factor, at the top level or in rope_parameters/rope_scaling) is
     * not how these families rotate; rotating the whole head instead would be silently wrong.
     */
    private static void refusePartialRotary(ConfigReader c) {
        for (String section : new String[] {null, "rope_parameters", "rope_scaling"}) {
            ConfigReader r = section == null ? c
                    : c.has(section) && c.node(section).isObject() ? c.section(section) : null;
            if (r != null && r.has("partial_rotary_factor") && r.optDouble("partial_rotary_factor", 1.0) != 1.0) {
                throw r.error("partial_rotary_factor", "is " + r.optDouble("partial_rotary_factor", 1.0) + "; "
                        + "circuitscope rotates the whole head in this family (only 1.0 is supported)");
            }
        }
    }

    /** Absent: the Hugging Face class default; explicit null: disabled (0). */
    /**
     * {@code sliding_window}: 4096 when absent (Mistral's and Gemma's config default), 0 (no window) when null; a
     * fraction or a negative number is refused rather than cut to an int.
     */
    private static int wholeWindow(ConfigReader c) {
        double given = nullable(c, "sliding_window", 4096);
        if (given < 0 || given != Math.rint(given) || given > Integer.MAX_VALUE) {
            throw c.error("sliding_window", "must be a whole number >= 0, got " + given);
        }
        return (int) given;
    }

    private static double nullable(ConfigReader c, String field, double defaultIfAbsent) {
        if (!c.root().has(field)) {
            return defaultIfAbsent;
        }
        return c.has(field) ? c.requireDouble(field) : 0.0;
    }

    /**
     * num_key_value_heads as the family's config class fills it in: when absent, its class default (MistralConfig 8,
     * Qwen2Config and Qwen3Config 32, Gemma2Config and Gemma3TextConfig 4; LlamaConfig num_attention_heads); an
     * explicit null is num_attention_heads, as the classes turn None into it.
     */
    private static int kvHeads(ConfigReader c, String type, int heads) {
        if (c.root().has("num_key_value_heads") && !c.has("num_key_value_heads")) {
            return heads;
        }
        int classDefault = switch (type) {
            case "mistral" -> 8;
            case "qwen2", "qwen3" -> 32;
            case "gemma2", "gemma3_text", "gemma3" -> 4;
            default -> heads;
        };
        return c.optPositiveInt("num_key_value_heads", classDefault);
    }

    /** A positive size; Gemma 3 configs may leave it to Gemma3TextConfig's default (0: required). */
    private static int size(ConfigReader c, String field, int gemma3Default) {
        return gemma3Default > 0 ? c.optPositiveInt(field, gemma3Default) : c.requirePositiveInt(field);
    }

    /**
     * Rotary inverse-frequency buffers (recomputed from the config) and, in Gemma 3 multimodal
     * files, the vision tower and its projector, which the text model does not use.
     */
    @Override
    public boolean ignorable(String tensor, ModelConfig config) {
        if (tensor.endsWith(".rotary_emb.inv_freq")) {
            return true;
        }
        String outside = tensor.startsWith("model.") ? tensor.substring("model.".length()) : tensor;
        return config.family().equals("gemma3")
                && (outside.startsWith("vision_tower.") || outside.startsWith("multi_modal_projector."));
    }

    @Override
    public ModelWeights weights(ModelConfig cfg, ConfigReader raw, TensorSource source, NDManager manager) {
        String type = cfg.family();
        ConfigReader text = textConfig(raw);
        boolean gemma3 = type.startsWith("gemma3");
        boolean gemma = type.equals("gemma2") || gemma3;
        boolean qwen2 = type.equals("qwen2");
        boolean qwen3 = type.equals("qwen3");
        // MistralAttention has no biases whatever attention_bias says (nor does MistralMLP, whatever mlp_bias says)
        boolean mistral = type.equals("mistral");
        boolean attentionBias = !mistral && text.optBoolean("attention_bias", false);
        boolean qkvBias = qwen2 || attentionBias;
        boolean oBias = !qwen2 && attentionBias;
        boolean mlpBias = type.equals("llama") && raw.optBoolean("mlp_bias", false);
        boolean tied = text.optBoolean("tie_word_embeddings", raw.optBoolean("tie_word_embeddings", gemma));
        // Gemma 3 multimodal checkpoints keep the text model under language_model (older layout:
        // language_model.model.*, language_model.lm_head; newer: model.language_model.*, lm_head).
        String body = "model.";
        String head = "";
        if (gemma3 && !source.contains("model.embed_tokens.weight")) {
            if (source.contains("language_model.model.embed_tokens.weight")) {
                body = "language_model.model.";
                head = "language_model.";
            } else if (source.contains("model.language_model.embed_tokens.weight")) {
                body = "model.language_model.";
            }
        }

        if (mistral) {
            refuseMistralBiases(source, body, raw);
        }
        WeightReader r = new WeightReader(source, manager, "");
        long d = cfg.dModel();
        long m = cfg.dMlp();
        long e = cfg.dHead();
        long q = cfg.nHeads() * e;
        long kv = cfg.nKvHeads() * e;
        NDArray wE = r.require(body + "embed_tokens.weight", cfg.vocabSize(), d);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = body + "layers." + l + ".";
            String a = p + "self_attn.";
            NDArray inputNorm = norm(r, p + "input_layernorm.weight", d, gemma);
            NDArray postAttn = norm(r, p + "post_attention_layernorm.weight", d, gemma);
            NDArray mlpNorm = gemma ? norm(r, p + "pre_feedforward_layernorm.weight", d, true) : postAttn;
            NDArray postMlp = gemma ? norm(r, p + "post_feedforward_layernorm.weight", d, true) : null;
            layers.add(new LayerWeights(
                    inputNorm, null,
                    r.linearTransposed(a + "q_proj.weight", q, d), qkvBias ? r.require(a + "q_proj.bias", q) : null,
                    r.linearTransposed(a + "k_proj.weight", kv, d), qkvBias ? r.require(a + "k_proj.bias", kv) : null,
                    r.linearTransposed(a + "v_proj.weight", kv, d), qkvBias ? r.require(a + "v_proj.bias", kv) : null,
                    r.linearTransposed(a + "o_proj.weight", d, q), oBias ? r.require(a + "o_proj.bias", d) : null,
                    qwen3 || gemma3 ? norm(r, a + "q_norm.weight", e, gemma3) : null,
                    qwen3 || gemma3 ? norm(r, a + "k_norm.weight", e, gemma3) : null,
                    gemma ? postAttn : null,
                    mlpNorm, null,
                    r.linearTransposed(p + "mlp.up_proj.weight", m, d),
                    mlpBias ? r.require(p + "mlp.up_proj.bias", m) : null,
                    r.linearTransposed(p + "mlp.gate_proj.weight", m, d),
                    mlpBias ? r.require(p + "mlp.gate_proj.bias", m) : null,
                    r.linearTransposed(p + "mlp.down_proj.weight", d, m),
                    mlpBias ? r.require(p + "mlp.down_proj.bias", d) : null,
                    postMlp));
        }
        NDArray finalNorm = norm(r, body + "norm.weight", d, gemma);
        String lmHead = head + "lm_head.weight";
        NDArray wU = tied ? r.tiedTo(wE, lmHead) : r.linearTransposed(lmHead, cfg.vocabSize(), d);
        return new ModelWeights(manager, wE, null, layers, finalNorm, null, wU, null);
    }

    /**
     * Attention biases in a Mistral file: Hugging Face's MistralAttention has none (it ignores attention_bias) and drops
     * them at load time, so the file's model and Hugging Face's differ; refused, pointing at model_type llama, which
     * reads attention_bias, in case the biases belong to the model.
     */
    private static void refuseMistralBiases(TensorSource source, String body, ConfigReader raw) {
        String bias = body + "layers.0.self_attn.q_proj.bias";
        if (source.contains(bias)) {
            throw new CheckpointException(source.describe() + ": tensor '" + bias + "' is an attention bias, but "
                    + raw.file().getFileName() + " says model_type 'mistral', whose attention (Hugging Face's "
                    + "MistralAttention) has no biases whatever attention_bias says, so Hugging Face would drop them; "
                    + "if the biases belong to the model, set \"model_type\": \"llama\" and \"attention_bias\": true");
        }
    }

    /** An RMSNorm weight; Gemma stores w and scales by (1 + w), which is folded in here. */
    private static NDArray norm(WeightReader r, String name, long d, boolean gemmaOffset) {
        NDArray w = r.require(name, d);
        if (!gemmaOffset) {
            return w;
        }
        NDArray folded = w.add(1f);
        w.close();
        return folded;
    }
}
