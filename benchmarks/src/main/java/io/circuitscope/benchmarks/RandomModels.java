package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.DjlRuntime;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.LayerWeights;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;

/** Models with random weights generated on the fly, shaped like real checkpoints. */
public final class RandomModels {
    private RandomModels() {
    }

    /** GPT-2 small: 12 layers, 12 heads, d_model 768, d_mlp 3072, vocab 50257, context 1024 (124M parameters). */
    public static ModelConfig gpt2SmallConfig() {
        return ModelConfig.builder("gpt2").setSizes(768, 12, 12, 3072, 50257, 1024).build();
    }

    /** GPT-2 small's sizes with Gemma 2's sandwich norms: a norm on each sublayer's output before it joins the stream. */
    public static ModelConfig gpt2SmallWithSandwichNormsConfig() {
        return ModelConfig.builder("gpt2").setSizes(768, 12, 12, 3072, 50257, 1024).optSandwichNorms(true).build();
    }

    /** Random weights for {@code c} (GPT-2's layout; with sandwich norms, unit post-attention and post-MLP norms). */
    public static HookedTransformer randomGpt2(ModelConfig c) {
        NDManager m = DjlRuntime.newManager();
        long d = c.dModel();
        long hd = (long) c.nHeads() * c.dHead();
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            layers.add(new LayerWeights(m.ones(new Shape(d)), m.zeros(new Shape(d)),
                    normal(m, d, hd), normal(m, hd), normal(m, d, hd), normal(m, hd), normal(m, d, hd), normal(m, hd),
                    normal(m, hd, d), normal(m, d), null, null, c.sandwichNorms() ? m.ones(new Shape(d)) : null,
                    m.ones(new Shape(d)), m.zeros(new Shape(d)),
                    normal(m, d, c.dMlp()), normal(m, c.dMlp()), null, null,
                    normal(m, c.dMlp(), d), normal(m, d), c.sandwichNorms() ? m.ones(new Shape(d)) : null));
        }
        NDArray wE = normal(m, c.vocabSize(), d);
        ModelWeights w = new ModelWeights(m, wE, normal(m, c.contextLength(), d), layers, m.ones(new Shape(d)),
                m.zeros(new Shape(d)), wE.transpose(), null);
        return new HookedTransformer(c, w);
    }

    private static NDArray normal(NDManager m, long... shape) {
        return m.randomNormal(0f, 0.02f, new Shape(shape), ai.djl.ndarray.types.DataType.FLOAT32);
    }
}
