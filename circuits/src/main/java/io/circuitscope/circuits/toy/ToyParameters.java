package io.circuitscope.circuits.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.arch.Gpt2Adapter;
import io.circuitscope.core.io.ConfigReader;
import io.circuitscope.core.io.SafetensorsWriter;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.LayerWeights;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The parameters of a toy GPT-2 as Java float arrays under their Hugging Face GPT-2 names
 * ({@code wte.weight}, {@code h.0.attn.c_attn.weight} [d, 3d] = [W_Q | W_K | W_V], ...,
 * {@code lm_head.weight} [v, d], absent when the task ties the unembedding to {@code wte}). Java
 * arrays are the source of truth: the trainer turns them into fresh NDArrays for every step, so
 * initialisation and updates are plain, seeded Java.
 */
public final class ToyParameters {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ToyTask task;
    private final int layers;
    private final LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
    private final LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();

    private ToyParameters(ToyTask task, int layers) {
        this.task = task;
        this.layers = layers;
    }

    /**
     * GPT-2-style initialisation from {@code new Random(seed)}: linear weights N(0, 1/sqrt(fan_in)),
     * output projections further scaled by 1/sqrt(2 layers), embeddings N(0, 0.1), LayerNorm 1 and 0,
     * biases 0. Attention-only tasks get all-zero MLP weights, which the trainer never updates.
     */
    public static ToyParameters init(ToyTask task, long seed) {
        return init(task, task.layers(), seed);
    }

    /** {@link #init(ToyTask, long)} with {@code layers} blocks instead of the task's default. */
    public static ToyParameters init(ToyTask task, int layers, long seed) {
        if (layers < 1) {
            throw new IllegalArgumentException("a toy model needs at least one layer, got " + layers);
        }
        Random rng = new Random(seed);
        ToyParameters p = new ToyParameters(task, layers);
        int d = task.dModel();
        int m = task.dMlp();
        int v = task.vocab();
        double residualScale = 1.0 / Math.sqrt(2.0 * layers);
        p.normal(rng, "wte.weight", 0.1, v, d);
        p.normal(rng, "wpe.weight", 0.1, task.context(), d);
        for (int l = 0; l < layers; l++) {
            String h = "h." + l + ".";
            p.constant(h + "ln_1.weight", 1f, d);
            p.constant(h + "ln_1.bias", 0f, d);
            p.normal(rng, h + "attn.c_attn.weight", 1 / Math.sqrt(d), d, 3 * d);
            p.constant(h + "attn.c_attn.bias", 0f, 3 * d);
            p.normal(rng, h + "attn.c_proj.weight", residualScale / Math.sqrt(d), d, d);
            p.constant(h + "attn.c_proj.bias", 0f, d);
            p.constant(h + "ln_2.weight", 1f, d);
            p.constant(h + "ln_2.bias", 0f, d);
            if (task.attentionOnly()) {
                p.constant(h + "mlp.c_fc.weight", 0f, d, m);
            } else {
                p.normal(rng, h + "mlp.c_fc.weight", 1 / Math.sqrt(d), d, m);
            }
            p.constant(h + "mlp.c_fc.bias", 0f, m);
            if (task.attentionOnly()) {
                p.constant(h + "mlp.c_proj.weight", 0f, m, d);
            } else {
                p.normal(rng, h + "mlp.c_proj.weight", residualScale / Math.sqrt(m), m, d);
            }
            p.constant(h + "mlp.c_proj.bias", 0f, d);
        }
        p.constant("ln_f.weight", 1f, d);
        p.constant("ln_f.bias", 0f, d);
        if (!task.tiedEmbeddings()) {
            p.normal(rng, "lm_head.weight", 1 / Math.sqrt(d), v, d);
        }
        return p;
    }

    public ToyTask task() {
        return task;
    }

    /** Parameter names in a fixed order. */
    public List<String> names() {
        return new ArrayList<>(values.keySet());
    }

    /** The live array of one parameter (the trainer updates it in place). */
    public float[] values(String name) {
        return values.get(name);
    }

    public long parameterCount() {
        return values.values().stream().mapToLong(a -> a.length).sum();
    }

    /** Transformer blocks of this model. */
    public int layers() {
        return layers;
    }

    /** config.json of this model: GPT-2, gelu_new, LayerNorm eps 1e-5, lm_head tied as the task says. */
    public ObjectNode configJson() {
        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", "gpt2");
        c.putArray("architectures").add("GPT2LMHeadModel");
        c.put("n_embd", task.dModel());
        c.put("n_layer", layers);
        c.put("n_head", task.heads());
        c.put("n_inner", task.dMlp());
        c.put("n_positions", task.context());
        c.put("n_ctx", task.context());
        c.put("vocab_size", task.vocab());
        c.put("layer_norm_epsilon", 1e-5);
        c.put("activation_function", "gelu_new");
        c.put("tie_word_embeddings", task.tiedEmbeddings());
        c.put("bos_token_id", ToyTask.BOS);
        c.put("eos_token_id", ToyTask.BOS);
        return c;
    }

    /** The model config exactly as the loader derives it from {@link #configJson()}. */
    public ModelConfig config() {
        return new Gpt2Adapter().config(new ConfigReader(Path.of("config.json"), configJson()));
    }

    /** A model whose weights are fresh NDArrays in {@code manager} (closed with the model). */
    public Built build(NDManager manager, boolean requiresGradient) {
        Map<String, NDArray> leaves = new LinkedHashMap<>();
        values.forEach((name, v) -> {
            NDArray a = manager.create(v, new Shape(shapes.get(name)));
            if (requiresGradient) {
                a.setRequiresGradient(true);
            }
            leaves.put(name, a);
        });
        List<LayerWeights> blocks = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            String p = "h." + l + ".";
            NDList qkv = leaves.get(p + "attn.c_attn.weight").split(3, 1);
            NDList qkvBias = leaves.get(p + "attn.c_attn.bias").split(3, 0);
            blocks.add(new LayerWeights(
                    leaves.get(p + "ln_1.weight"), leaves.get(p + "ln_1.bias"),
                    qkv.get(0), qkvBias.get(0), qkv.get(1), qkvBias.get(1), qkv.get(2), qkvBias.get(2),
                    leaves.get(p + "attn.c_proj.weight"), leaves.get(p + "attn.c_proj.bias"),
                    null, null, null,
                    leaves.get(p + "ln_2.weight"), leaves.get(p + "ln_2.bias"),
                    leaves.get(p + "mlp.c_fc.weight"), leaves.get(p + "mlp.c_fc.bias"),
                    null, null,
                    leaves.get(p + "mlp.c_proj.weight"), leaves.get(p + "mlp.c_proj.bias"),
                    null));
        }
        ModelWeights weights = new ModelWeights(manager, leaves.get("wte.weight"), leaves.get("wpe.weight"), blocks,
                leaves.get("ln_f.weight"), leaves.get("ln_f.bias"),
                leaves.get(task.tiedEmbeddings() ? "wte.weight" : "lm_head.weight").transpose(), null);
        return new Built(new HookedTransformer(config(), weights), leaves);
    }

    /** A built model and its parameter leaves by name. */
    public record Built(HookedTransformer model, Map<String, NDArray> leaves) {
    }

    /** Writes DIR/config.json and DIR/model.safetensors (float32, Hugging Face GPT-2 names). */
    public void writeCheckpoint(Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("config.json").toFile(), configJson());
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                .metadata("producer", "circuitscope train-toy " + task.key());
        values.forEach((name, v) -> w.put(name, SafetensorsWriter.Tensor.f32(v.clone(), shapes.get(name))));
        w.write(dir.resolve("model.safetensors"));
    }

    private void normal(Random rng, String name, double std, long... shape) {
        float[] v = new float[(int) count(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        values.put(name, v);
        shapes.put(name, shape);
    }

    private void constant(String name, float value, long... shape) {
        float[] v = new float[(int) count(shape)];
        java.util.Arrays.fill(v, value);
        values.put(name, v);
        shapes.put(name, shape);
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }
}
