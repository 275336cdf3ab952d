package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.SourceOutputs;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Task;
import java.util.Locale;
import java.util.Random;

/**
 * Whether the per-row statistics of sandwich-norm patching (passes without gradients) still equal the norm
 * recomputed per destination group (the path a pass whose coefficients carry gradients takes) at a size the
 * unit tests cannot afford: a random GPT-2-layout model with sandwich norms, 20 prompts x 15 tokens, one
 * random mask per kept-edge probability. Prints the largest logit difference beside the largest logit and
 * the largest change the mask makes. The recomputing pass keeps every group's norm intermediates for
 * autograd: at 8 layers x 8 heads x d_model 512 it peaks near 20 GB, and at GPT-2-small size it does not fit
 * in 24 GB.
 *
 * <p>Run: {@code benchmarks/run.sh SandwichNormAgreement [dModel] [layers] [heads]} (default 512 8 8).
 */
public final class SandwichNormAgreement {
    public static void main(String[] args) throws Exception {
        int dModel = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int heads = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        ModelConfig config = ModelConfig.builder("gpt2").setSizes(dModel, layers, heads, 4 * dModel, 50257, 1024)
                .optSandwichNorms(true).build();
        Task task = EapThroughput.ioiSizedTask(config);
        try (HookedTransformer model = RandomModels.randomGpt2(config); NDManager run = model.newRunManager()) {
            EdgePatcher patcher = new EdgePatcher(model);
            Batch batch = task.batches(20).get(0);
            SourceOutputs corrupted = patcher.sourceOutputs(run, batch.corrupt());
            NDArray clean = model.forward(run, batch.clean());
            Random rng = new Random(3);
            System.out.printf(Locale.ROOT, "%d layers x %d heads, d_model %d, %d edges%n", layers, heads, dModel,
                    patcher.graph().nEdges());
            for (double keepProbability : new double[] {0.5, 0.05, 0.95}) {
                boolean[] keep = new boolean[patcher.graph().nEdges()];
                for (int e = 0; e < keep.length; e++) {
                    keep[e] = rng.nextDouble() < keepProbability;
                }
                NDArray statistics = patcher.forward(run, batch.clean(), corrupted, patcher.coefficients(run, keep));
                NDArray tracked = patcher.coefficients(run, keep);
                tracked.setRequiresGradient(true); // only asked for: it selects the recomputing path
                NDArray recomputed = patcher.forward(run, batch.clean(), corrupted, tracked);
                System.out.printf(Locale.ROOT, "edges kept with probability %.2f: max |statistics - recomputed| %.3g, max |logit| "
                        + "%.3g, max |patched - clean| %.3g, peak resident %d MiB%n", keepProbability,
                        statistics.sub(recomputed).abs().max().getFloat(), recomputed.abs().max().getFloat(),
                        statistics.sub(clean).abs().max().getFloat(), ProcessMemory.peakResidentMiB());
            }
        }
    }
}
