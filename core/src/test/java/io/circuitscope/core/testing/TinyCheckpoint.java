package io.circuitscope.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.circuitscope.core.io.HalfFloats;
import io.circuitscope.core.io.SafetensorsWriter;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.reference.RefTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A tiny random checkpoint in a real Hugging Face layout: config.json values and tensors by their
 * Hugging Face names. Tests write it to disk in real formats and compare against the reference forward.
 */
public record TinyCheckpoint(Map<String, Object> config, LinkedHashMap<String, RefTensor> tensors) {

    /** Random GPT-2 weights; {@code prefix} decides whether names carry {@code transformer.}. */
    public static TinyCheckpoint gpt2(long seed, int layers, int heads, int dHead, int vocab, int context,
            boolean prefix) {
        Random rng = new Random(seed);
        int d = heads * dHead;
        int m = 4 * d;
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "gpt2");
        config.put("architectures", List.of("GPT2LMHeadModel"));
        config.put("n_embd", d);
        config.put("n_layer", layers);
        config.put("n_head", heads);
        config.put("n_positions", context);
        config.put("vocab_size", vocab);
        config.put("layer_norm_epsilon", 1e-5);
        config.put("activation_function", "gelu_new");
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>();
        String p = prefix ? "transformer." : "";
        t.put(p + "wte.weight", normal(rng, 0.5, vocab, d));
        t.put(p + "wpe.weight", normal(rng, 0.2, context, d));
        for (int l = 0; l < layers; l++) {
            String h = p + "h." + l + ".";
            t.put(h + "ln_1.weight", around(rng, 1.0, 0.2, d));
            t.put(h + "ln_1.bias", normal(rng, 0.1, d));
            t.put(h + "attn.c_attn.weight", normal(rng, 0.3, d, 3 * d));
            t.put(h + "attn.c_attn.bias", normal(rng, 0.1, 3 * d));
            t.put(h + "attn.c_proj.weight", normal(rng, 0.3, d, d));
            t.put(h + "attn.c_proj.bias", normal(rng, 0.1, d));
            t.put(h + "ln_2.weight", around(rng, 1.0, 0.2, d));
            t.put(h + "ln_2.bias", normal(rng, 0.1, d));
            t.put(h + "mlp.c_fc.weight", normal(rng, 0.3, d, m));
            t.put(h + "mlp.c_fc.bias", normal(rng, 0.1, m));
            t.put(h + "mlp.c_proj.weight", normal(rng, 0.2, m, d));
            t.put(h + "mlp.c_proj.bias", normal(rng, 0.1, d));
            // The causal-mask buffer real GPT-2 files carry; loaders must ignore it.
            t.put(h + "attn.bias", new RefTensor(new int[] {1, 1, context, context}, tril(context)));
        }
        t.put(p + "ln_f.weight", around(rng, 1.0, 0.2, d));
        t.put(p + "ln_f.bias", normal(rng, 0.1, d));
        return new TinyCheckpoint(config, t);
    }

    /**
     * Random weights in the Hugging Face layout of a Llama-family model: {@code llama}, {@code mistral},
     * {@code qwen2} (q, k, v biases), {@code qwen3} (q_norm, k_norm) or {@code gemma2} (norm weights
     * stored as w for a (1 + w) scale, pre/post feed-forward norms). {@code attentionBias} adds
     * q, k, v, o biases and sets attention_bias (not for qwen2, whose biases are fixed; for mistral only the field,
     * which Hugging Face's MistralAttention ignores).
     * head_dim is always written, and may differ from hidden_size / heads.
     */
    public static TinyCheckpoint llamaFamily(String type, long seed, int layers, int heads, int kvHeads, int dHead,
            int dModel, int dMlp, int vocab, int context, boolean tied, boolean attentionBias) {
        Random rng = new Random(seed);
        boolean gemma = type.equals("gemma2");
        boolean qwen2 = type.equals("qwen2");
        boolean qwen3 = type.equals("qwen3");
        int d = dModel;
        int q = heads * dHead;
        int kv = kvHeads * dHead;
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", type);
        config.put("hidden_size", d);
        config.put("intermediate_size", dMlp);
        config.put("num_hidden_layers", layers);
        config.put("num_attention_heads", heads);
        config.put("num_key_value_heads", kvHeads);
        config.put("head_dim", dHead);
        config.put("vocab_size", vocab);
        config.put("max_position_embeddings", context);
        config.put("rms_norm_eps", 1e-6);
        config.put("rope_theta", 10000.0);
        config.put(gemma ? "hidden_activation" : "hidden_act", gemma ? "gelu_pytorch_tanh" : "silu");
        config.put("tie_word_embeddings", tied);
        if (!qwen2) {
            config.put("attention_bias", attentionBias);
        }
        boolean mistral = type.equals("mistral"); // MistralAttention has no biases, whatever attention_bias says
        boolean qkvBias = qwen2 || (attentionBias && !mistral);
        boolean oBias = !qwen2 && attentionBias && !mistral;
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>();
        double normMean = gemma ? 0.0 : 1.0; // Gemma stores w and scales by (1 + w)
        t.put("model.embed_tokens.weight", normal(rng, gemma ? 0.2 : 0.6, vocab, d));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", around(rng, normMean, 0.2, d));
            t.put(p + "self_attn.q_proj.weight", normal(rng, 0.4, q, d));
            t.put(p + "self_attn.k_proj.weight", normal(rng, 0.4, kv, d));
            t.put(p + "self_attn.v_proj.weight", normal(rng, 0.4, kv, d));
            t.put(p + "self_attn.o_proj.weight", normal(rng, 0.3, d, q));
            if (qkvBias) {
                t.put(p + "self_attn.q_proj.bias", normal(rng, 0.2, q));
                t.put(p + "self_attn.k_proj.bias", normal(rng, 0.2, kv));
                t.put(p + "self_attn.v_proj.bias", normal(rng, 0.2, kv));
            }
            if (oBias) {
                t.put(p + "self_attn.o_proj.bias", normal(rng, 0.1, d));
            }
            if (qwen3) {
                t.put(p + "self_attn.q_norm.weight", around(rng, 1.0, 0.2, dHead));
                t.put(p + "self_attn.k_norm.weight", around(rng, 1.0, 0.2, dHead));
            }
            t.put(p + "post_attention_layernorm.weight", around(rng, normMean, 0.2, d));
            if (gemma) {
                t.put(p + "pre_feedforward_layernorm.weight", around(rng, normMean, 0.2, d));
                t.put(p + "post_feedforward_layernorm.weight", around(rng, normMean, 0.2, d));
            }
            t.put(p + "mlp.gate_proj.weight", normal(rng, 0.4, dMlp, d));
            t.put(p + "mlp.up_proj.weight", normal(rng, 0.4, dMlp, d));
            t.put(p + "mlp.down_proj.weight", normal(rng, 0.3, d, dMlp));
        }
        t.put("model.norm.weight", around(rng, normMean, 0.2, d));
        if (!tied) {
            t.put("lm_head.weight", normal(rng, 0.5, vocab, d));
        }
        return new TinyCheckpoint(config, t);
    }

    /**
     * Random weights in the Hugging Face layout of Gemma3ForCausalLM ({@code gemma3_text}): every norm
     * (input, post-attention, pre/post feed-forward, final, per-head q_norm / k_norm) stored as w for a
     * (1 + w) scale, tied embeddings, no soft caps (written as null, as Hugging Face saves them), a
     * sliding window with {@code sliding_window_pattern}, and the two rotary bases rope_theta (global
     * layers) and rope_local_base_freq (sliding layers).
     */
    public static TinyCheckpoint gemma3(long seed, int layers, int heads, int kvHeads, int dHead, int dModel,
            int dMlp, int vocab, int context, int slidingWindow, int pattern) {
        Random rng = new Random(seed);
        int d = dModel;
        int q = heads * dHead;
        int kv = kvHeads * dHead;
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "gemma3_text");
        config.put("architectures", List.of("Gemma3ForCausalLM"));
        config.put("hidden_size", d);
        config.put("intermediate_size", dMlp);
        config.put("num_hidden_layers", layers);
        config.put("num_attention_heads", heads);
        config.put("num_key_value_heads", kvHeads);
        config.put("head_dim", dHead);
        config.put("vocab_size", vocab);
        config.put("max_position_embeddings", context);
        config.put("rms_norm_eps", 1e-6);
        config.put("rope_theta", 1_000_000.0);
        config.put("rope_local_base_freq", 10.0); // small, so local and global rotations differ at tiny sizes
        config.put("rope_scaling", null);
        config.put("hidden_activation", "gelu_pytorch_tanh");
        config.put("query_pre_attn_scalar", dHead);
        config.put("sliding_window", slidingWindow);
        config.put("sliding_window_pattern", pattern);
        config.put("attn_logit_softcapping", null);
        config.put("final_logit_softcapping", null);
        config.put("attention_bias", false);
        config.put("tie_word_embeddings", true);
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", normal(rng, 0.2, vocab, d));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", normal(rng, 0.2, d));
            t.put(p + "self_attn.q_proj.weight", normal(rng, 0.4, q, d));
            t.put(p + "self_attn.k_proj.weight", normal(rng, 0.4, kv, d));
            t.put(p + "self_attn.v_proj.weight", normal(rng, 0.4, kv, d));
            t.put(p + "self_attn.o_proj.weight", normal(rng, 0.3, d, q));
            t.put(p + "self_attn.q_norm.weight", normal(rng, 0.3, dHead));
            t.put(p + "self_attn.k_norm.weight", normal(rng, 0.3, dHead));
            t.put(p + "post_attention_layernorm.weight", normal(rng, 0.2, d));
            t.put(p + "pre_feedforward_layernorm.weight", normal(rng, 0.2, d));
            t.put(p + "post_feedforward_layernorm.weight", normal(rng, 0.2, d));
            t.put(p + "mlp.gate_proj.weight", normal(rng, 0.4, dMlp, d));
            t.put(p + "mlp.up_proj.weight", normal(rng, 0.4, dMlp, d));
            t.put(p + "mlp.down_proj.weight", normal(rng, 0.3, d, dMlp));
        }
        t.put("model.norm.weight", normal(rng, 0.2, d));
        return new TinyCheckpoint(config, t);
    }

    /**
     * This {@code gemma3_text} checkpoint as Gemma3ForConditionalGeneration saves it: config
     * {@code model_type "gemma3"} with the text settings nested in {@code text_config}, text tensors
     * under {@code language_model.model.*} ({@code newLayout}: {@code model.language_model.*}), plus
     * vision-tower and projector tensors that a text-only loader must ignore.
     */
    public TinyCheckpoint asGemma3Multimodal(boolean newLayout) {
        Map<String, Object> text = new LinkedHashMap<>(config);
        text.remove("architectures");
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "gemma3");
        c.put("architectures", List.of("Gemma3ForConditionalGeneration"));
        c.put("text_config", text);
        c.put("vision_config", Map.of("model_type", "siglip_vision_model", "hidden_size", 4, "patch_size", 2));
        c.put("mm_tokens_per_image", 4);
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>();
        String body = newLayout ? "model.language_model." : "language_model.model.";
        tensors.forEach((name, value) -> t.put(body + name.substring("model.".length()), value));
        Random rng = new Random(99);
        String vision = newLayout ? "model.vision_tower." : "vision_tower.";
        String projector = newLayout ? "model.multi_modal_projector." : "multi_modal_projector.";
        t.put(vision + "vision_model.embeddings.patch_embedding.weight", normal(rng, 0.1, 4, 3, 2, 2));
        t.put(projector + "mm_input_projection_weight", normal(rng, 0.1, 4, (Integer) config.get("hidden_size")));
        return new TinyCheckpoint(c, t);
    }

    /** Random GPT-NeoX (Pythia) weights with the fused, per-head interleaved query_key_value. */
    public static TinyCheckpoint gptNeox(long seed, int layers, int heads, int dHead, int vocab, int context,
            double rotaryPct, boolean parallel) {
        Random rng = new Random(seed);
        int d = heads * dHead;
        int m = 4 * d;
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "gpt_neox");
        config.put("architectures", List.of("GPTNeoXForCausalLM"));
        config.put("hidden_size", d);
        config.put("intermediate_size", m);
        config.put("num_hidden_layers", layers);
        config.put("num_attention_heads", heads);
        config.put("vocab_size", vocab);
        config.put("max_position_embeddings", context);
        config.put("rotary_pct", rotaryPct);
        config.put("rotary_emb_base", 10000);
        config.put("layer_norm_eps", 1e-5);
        config.put("hidden_act", "gelu");
        config.put("use_parallel_residual", parallel);
        config.put("tie_word_embeddings", false);
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>();
        t.put("gpt_neox.embed_in.weight", normal(rng, 0.6, vocab, d));
        for (int l = 0; l < layers; l++) {
            String p = "gpt_neox.layers." + l + ".";
            t.put(p + "input_layernorm.weight", around(rng, 1.0, 0.2, d));
            t.put(p + "input_layernorm.bias", normal(rng, 0.1, d));
            t.put(p + "post_attention_layernorm.weight", around(rng, 1.0, 0.2, d));
            t.put(p + "post_attention_layernorm.bias", normal(rng, 0.1, d));
            t.put(p + "attention.query_key_value.weight", normal(rng, 0.4, 3 * d, d));
            t.put(p + "attention.query_key_value.bias", normal(rng, 0.2, 3 * d));
            t.put(p + "attention.dense.weight", normal(rng, 0.3, d, d));
            t.put(p + "attention.dense.bias", normal(rng, 0.1, d));
            t.put(p + "mlp.dense_h_to_4h.weight", normal(rng, 0.3, m, d));
            t.put(p + "mlp.dense_h_to_4h.bias", normal(rng, 0.1, m));
            t.put(p + "mlp.dense_4h_to_h.weight", normal(rng, 0.2, d, m));
            t.put(p + "mlp.dense_4h_to_h.bias", normal(rng, 0.1, d));
        }
        t.put("gpt_neox.final_layer_norm.weight", around(rng, 1.0, 0.2, d));
        t.put("gpt_neox.final_layer_norm.bias", normal(rng, 0.1, d));
        t.put("embed_out.weight", normal(rng, 0.5, vocab, d));
        return new TinyCheckpoint(config, t);
    }

    /**
     * Writes this Llama checkpoint (no biases, no q/k norms) as a legacy llama2.c {@code .bin}:
     * header of 7 int32, then the float32 arrays in llama2.c order, the two legacy RoPE tables
     * (zeros) and, when not tied, the classifier (vocab_size written negative).
     */
    public Path writeLlama2c(Path file) throws IOException {
        int d = (Integer) config.get("hidden_size");
        int hidden = (Integer) config.get("intermediate_size");
        int layers = (Integer) config.get("num_hidden_layers");
        int heads = (Integer) config.get("num_attention_heads");
        int kv = (Integer) config.get("num_key_value_heads");
        int vocab = (Integer) config.get("vocab_size");
        int seqLen = (Integer) config.get("max_position_embeddings");
        boolean tied = Boolean.TRUE.equals(config.get("tie_word_embeddings"));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(28).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int v : new int[] {d, hidden, layers, heads, kv, tied ? vocab : -vocab, seqLen}) {
            header.putInt(v);
        }
        bytes.write(header.array());
        List<String> order = new ArrayList<>();
        order.add("model.embed_tokens.weight");
        for (String a : new String[] {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                "mlp.gate_proj.weight", "mlp.down_proj.weight", "mlp.up_proj.weight"}) {
            for (int l = 0; l < layers; l++) {
                order.add("model.layers." + l + "." + a);
            }
        }
        order.add("model.norm.weight");
        for (String name : order) {
            writeFloats(bytes, tensors.get(name).data());
        }
        writeFloats(bytes, new float[2 * seqLen * (d / heads / 2)]);
        if (!tied) {
            writeFloats(bytes, tensors.get("lm_head.weight").data());
        }
        Files.write(file, bytes.toByteArray());
        return file;
    }

    private static void writeFloats(java.io.ByteArrayOutputStream out, float[] values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        out.write(b.array(), 0, b.capacity());
    }

    public TinyCheckpoint withoutConfig(String key) {
        Map<String, Object> c = new LinkedHashMap<>(config);
        c.remove(key);
        return new TinyCheckpoint(c, tensors);
    }

    public static RefTensor normal(Random rng, double std, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        return new RefTensor(shape, v);
    }

    public static RefTensor around(Random rng, double mean, double std, int... shape) {
        RefTensor r = normal(rng, std, shape);
        float[] v = r.data();
        for (int i = 0; i < v.length; i++) {
            v[i] += (float) mean;
        }
        return r;
    }

    private static float[] tril(int n) {
        float[] v = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                v[i * n + j] = 1f;
            }
        }
        return v;
    }

    /** The same checkpoint with every value rounded through {@code dtype}, as a loader would read it back. */
    public TinyCheckpoint roundedTo(TensorDtype dtype) {
        LinkedHashMap<String, RefTensor> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            float[] v = t.data().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = switch (dtype) {
                    case F32 -> v[i];
                    case F16 -> HalfFloats.fromHalf(HalfFloats.toHalf(v[i]));
                    case BF16 -> HalfFloats.fromBfloat16(HalfFloats.toBfloat16(v[i]));
                };
            }
            out.put(name, new RefTensor(t.shape(), v));
        });
        return new TinyCheckpoint(config, out);
    }

    public TinyCheckpoint withConfig(String key, Object value) {
        Map<String, Object> c = new LinkedHashMap<>(config);
        c.put(key, value);
        return new TinyCheckpoint(c, tensors);
    }

    public TinyCheckpoint without(String tensor) {
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>(tensors);
        t.remove(tensor);
        return new TinyCheckpoint(config, t);
    }

    /** Writes config.json and model.safetensors into {@code dir}. */
    public Path write(Path dir, TensorDtype dtype) throws IOException {
        Files.createDirectories(dir);
        writeConfig(dir);
        writer(new ArrayList<>(tensors.keySet()), dtype).write(dir.resolve("model.safetensors"));
        return dir;
    }

    /** Writes config.json, {@code shards} safetensors shards and model.safetensors.index.json. */
    public Path writeSharded(Path dir, TensorDtype dtype, int shards) throws IOException {
        Files.createDirectories(dir);
        writeConfig(dir);
        List<String> names = new ArrayList<>(tensors.keySet());
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int s = 0; s < shards; s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            List<String> mine = new ArrayList<>();
            for (int i = s; i < names.size(); i += shards) {
                mine.add(names.get(i));
                weightMap.put(names.get(i), file);
            }
            writer(mine, dtype).write(dir.resolve(file));
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", 0));
        index.put("weight_map", weightMap);
        new ObjectMapper().writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
        return dir;
    }

    private SafetensorsWriter writer(List<String> names, TensorDtype dtype) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (String name : names) {
            RefTensor t = tensors.get(name);
            long[] shape = new long[t.shape().length];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.shape()[i];
            }
            w.put(name, new SafetensorsWriter.Tensor(dtype, shape, t.data()));
        }
        return w;
    }

    private void writeConfig(Path dir) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("config.json").toFile(),
                config);
    }
}
