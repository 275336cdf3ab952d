package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDManager;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.analysis.ActivationPatching;
import io.circuitscope.discovery.analysis.PatchResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Heads patched per second (denoising hook_z of every head, all positions, logit-diff) on a GPT-2-small-shaped
 * random model with an IOI-sized batch (8 prompts x 16 tokens): the batched sweep
 * ({@link ActivationPatching#sweep}: variants stacked along the batch axis, recomputed from the patched layer
 * on) against the naive loop of one full forward pass per head (timed on one head per layer, which costs the
 * same as any other head, and extrapolated per head).
 *
 * <p>Run: {@code benchmarks/run.sh HeadPatchingThroughput [maxRows]}.
 */
public final class HeadPatchingThroughput {
    public static void main(String[] args) {
        int maxRows = args.length > 0 ? Integer.parseInt(args[0]) : 96;
        int batch = 8;
        int seq = 16;
        ModelConfig config = RandomModels.gpt2SmallConfig();
        Random rng = new Random(0);
        List<Example> examples = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] clean = new int[seq];
            int[] corrupt = new int[seq];
            for (int p = 0; p < seq; p++) {
                clean[p] = rng.nextInt(config.vocabSize());
                corrupt[p] = p % 4 == 1 ? rng.nextInt(config.vocabSize()) : clean[p];
            }
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, rng.nextInt(config.vocabSize()),
                    rng.nextInt(config.vocabSize())))));
        }
        Task task = new Task("random-ioi-sized", examples);
        try (HookedTransformer model = RandomModels.randomGpt2(config)) {
            ActivationPatching.Options o = new ActivationPatching.Options(Metrics.LOGIT_DIFF, Direction.DENOISE,
                    io.circuitscope.core.task.Corruption.resample(), ActivationPatching.Site.HEADS, false, maxRows, 64);
            ActivationPatching.sweep(model, task.head(2), o.withMaxRows(16)); // warm-up
            long t0 = System.nanoTime();
            PatchResult r = ActivationPatching.sweep(model, task, o);
            double fast = (System.nanoTime() - t0) / 1e9;
            int heads = r.effects().size();

            Batch b = task.batches(64).get(0);
            double naive;
            int timed = config.nLayers();
            try (NDManager run = model.newRunManager(); ActivationCache clean = ActivationCache.all(run)) {
                model.forward(run, b.clean(), Hooks.caching(clean));
                long t1 = System.nanoTime();
                for (int l = 0; l < timed; l++) {
                    HookName z = HookName.of(HookSite.Z, l);
                    try (NDManager pass = run.newSubManager()) {
                        Metrics.LOGIT_DIFF.perVariant(model.forward(pass, b.corrupt(),
                                Hooks.of(Intervention.replace(z, Selection.heads(l % config.nHeads()), clean.get(z)))),
                                b, null).getFloat(0);
                    }
                }
                naive = (System.nanoTime() - t1) / 1e9 / timed;
            }
            System.out.printf(Locale.ROOT, "model: GPT-2-small shape (random weights), batch %d x %d tokens, %d heads, maxRows %d%n",
                    batch, seq, heads, maxRows);
            System.out.printf(Locale.ROOT, "batched sweep: %d heads in %.2f s (incl. clean+corrupted runs) = %.2f heads/s%n", heads,
                    fast, heads / fast);
            System.out.printf(Locale.ROOT, "naive loop:    %.3f s per head (mean of %d full passes) = %.2f heads/s%n", naive, timed,
                    1 / naive);
            System.out.printf(Locale.ROOT, "speed-up: %.2fx%n", (heads / fast) * naive);
        }
    }
}
