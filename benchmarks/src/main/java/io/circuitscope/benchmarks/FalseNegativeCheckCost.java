package io.circuitscope.benchmarks;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.FalseNegativeBound;
import java.util.Locale;
import java.util.Random;

/**
 * Cost of discover's false-negative check (50 unverified edges patched exactly, one at a time) on the
 * GPT-2-small-shaped random model and the 20 x 15 batch of {@link EapThroughput}, with its patches run from shared
 * per-layer clean prefixes and with a full patched pass each; the runs alternate, the prefixed one first. The 200
 * candidates are a seeded random choice (the check samples among the rest); tau 0.01, logit difference, resampling.
 *
 * <p>Run: {@code benchmarks/run.sh FalseNegativeCheckCost [repeats] [samples]}.
 */
public final class FalseNegativeCheckCost {
    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        ModelConfig config = RandomModels.gpt2SmallConfig();
        Task task = EapThroughput.ioiSizedTask(config);
        try (HookedTransformer model = RandomModels.randomGpt2(config);
                TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), task, Metrics.LOGIT_DIFF, Ablation.RESAMPLE,
                        20)) {
            boolean[] candidates = new boolean[tp.graph().nEdges()];
            Random rng = new Random(1);
            for (int chosen = 0; chosen < 200;) {
                int e = rng.nextInt(candidates.length);
                if (!candidates[e]) {
                    candidates[e] = true;
                    chosen++;
                }
            }
            System.out.printf(Locale.ROOT, "graph: %d edges, %d batch(es), %d mask(s) per pass; %d samples%n",
                    tp.graph().nEdges(), tp.batches().size(), tp.masksPerPass(), samples);
            FalseNegativeBound first = null;
            for (int r = 0; r < repeats; r++) {
                for (boolean share : new boolean[] {true, false}) {
                    long passes = tp.forwardPasses();
                    long layers = tp.patchedLayers();
                    long start = System.nanoTime();
                    FalseNegativeBound b = FalseNegativeBound.estimate(tp, candidates, 0.01, samples, 0.95, 0,
                            Progress.NONE, null, share);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (first == null) {
                        first = b;
                    }
                    System.out.printf(Locale.ROOT, "run %d %-16s %6.1f s, %d forward passes, %d layers computed, "
                            + "%d of %d found, same as the first run: %s, peak resident %d MiB%n", r + 1,
                            share ? "from prefixes:" : "full passes:", seconds, tp.forwardPasses() - passes,
                            tp.patchedLayers() - layers, b.found(), b.sampled(), b.equals(first),
                            ProcessMemory.peakResidentMiB());
                }
            }
        }
    }
}
