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
