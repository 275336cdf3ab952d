package io.circuitscope.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.graph.SourceOutputs;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.model.HookedTransformer;
import java.util.Locale;
import java.util.Random;

/**
 * What the "corrupted" side of a patching experiment is.
 * <ul>
 * <li>{@code resample}: the task's corrupted prompt (a forward pass).</li>
 * <li>{@code noise}: the clean prompt with Gaussian noise of {@code scale} x the standard deviation of the
 *     token-embedding matrix added to {@code hook_embed} at each example's {@code noise_positions}
 *     (causal tracing, Meng et al.: scale 3). Each example's noise is drawn from the seed and the example's own
 *     clean prompt and noise positions, so it is the same in any file order or batch (identical examples share
 *     it). A forward pass.</li>
 * <li>{@code zero} / {@code mean}: no forward pass; a patched activation is replaced by zero or by its mean over
 *     the clean run of every prompt of the task with the same length (the analyses take that mean once, before
 *     their batches; {@link #ablate} alone averages what it is given). Only the noising direction makes sense
 *     for them; normalisation then uses the resampled corrupted prompt's metric as "corrupted".</li>
 * </ul>
 */
public record Corruption(Kind kind, long seed, double noiseScale) {
    public enum Kind { RESAMPLE, ZERO, MEAN, NOISE }

    public static Corruption resample() {
        return new Corruption(Kind.RESAMPLE, 0, 0);
    }

    public static Corruption zero() {
        return new Corruption(Kind.ZERO, 0, 0);
    }

    public static Corruption mean() {
        return new Corruption(Kind.MEAN, 0, 0);
    }

    public static Corruption noise(long seed) {
        return new Corruption(Kind.NOISE, seed, 3.0);
    }

    public static Corruption byName(String name, long seed) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "resample" -> resample();
            case "zero" -> zero();
            case "mean" -> mean();
            case "noise" -> noise(seed);
            default -> throw new IllegalArgumentException("unknown corruption '" + name
                    + "' (known: resample, zero, mean, noise)");
        };
    }

    /** Whether the corrupted side is a forward pass (resample, noise) rather than an ablation value. */
    public boolean isRun() {
        return kind == Kind.RESAMPLE || kind == Kind.NOISE;
    }

    /** Tokens of the corrupted run: the corrupted prompt, or the clean prompt for noise. */
    public int[][] corruptedTokens(Batch batch) {
        return kind == Kind.NOISE ? batch.clean() : batch.corrupt();
    }

    /**
     * The interventions that make a forward pass on {@link #corruptedTokens} the corrupted run (noise on the
     * embeddings; none otherwise), to combine with a cache or further interventions.
     */
    public java.util.List<Intervention> corruptedInterventions(NDManager run, HookedTransformer model, Batch batch) {
        if (kind != Kind.NOISE) {
            return java.util.List.of();
        }
        return java.util.List.of(Intervention.add(HookName.of(HookSite.EMBED), Selection.all(), noise(run, model, batch)));
    }

    /** The noise tensor [B, seq, d_model], zero outside each row's noise positions. */
    public NDArray noise(NDManager run, HookedTransformer model, Batch batch) {
        int d = model.config().dModel();
        int seq = batch.length();
        float std = embeddingStd(model);
        float sigma = (float) (noiseScale * std);
        float[] v = new float[batch.size() * seq * d];
        boolean any = false;
        for (int b = 0; b < batch.size(); b++) {
            // each example's own stream: its noise does not depend on the file's order or on its batch
            Random rng = new Random(seed * 1_000_003L + contentHash(batch.clean()[b], batch.noisePositions()[b]));
            for (int p : batch.noisePositions()[b]) {
                any = true;
                for (int i = 0; i < d; i++) {
                    v[(b * seq + p) * d + i] = (float) rng.nextGaussian() * sigma;
                }
            }
        }
        if (!any) {
            throw new IllegalArgumentException("the noise corruption needs noise_positions in the task (e.g. the "
                    + "subject tokens); this batch has none");
        }
        return run.create(v, new Shape(batch.size(), seq, d));
    }

    /**
     * A 64-bit hash of an example's clean prompt and noise positions, which seeds its noise. Content, not the file
     * index: shuffling the task file moves indices, so index-seeded noise would still follow the order.
     */
    static long contentHash(int[] clean, int[] noisePositions) {
        long h = 1125899906842597L;
        for (int t : clean) {
            h = 31 * h + t;
        }
        h = 31 * h - 1; // separates the prompt from the positions
        for (int p : noisePositions) {
            h = 31 * h + p;
        }
        return h;
    }

    /** Standard deviation of all entries of the token-embedding matrix. */
    public static float embeddingStd(HookedTransformer model) {
        try (NDManager m = model.newRunManager()) {
            NDArray w = model.weights().wE().toType(ai.djl.ndarray.types.DataType.FLOAT32, true);
            w.attach(m);
            NDArray centered = w.sub(w.mean());
            return (float) Math.sqrt(centered.square().mean().getFloat());
        }
    }

    /** The ablation value of a clean activation [B, ...] (zero or the mean over the batch axis). */
    public NDArray ablate(NDArray clean) {
        return switch (kind) {
            case ZERO -> clean.zerosLike();
            case MEAN -> clean.mean(new int[] {0}, true).broadcast(clean.getShape());
            default -> throw new IllegalStateException(kind + " is a forward pass, not an ablation value");
        };
    }

    /** The same for every source output of the graph. */
    public SourceOutputs ablate(SourceOutputs clean) {
        return kind == Kind.ZERO ? clean.zeros() : clean.meanOverBatch();
    }
}
