package io.circuitscope.benchmarks;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Metrics;
import java.util.Locale;

/**
 * Memory one patched pass over a position-aware graph needs on a GPT-2-small-shaped model (random weights):
 * 8 prompts x 15 tokens, every other edge kept. A pass without gradients should hold about one layer's
 * differences at a time, not every layer's.
 *
 * <p>Run: {@code benchmarks/run.sh ByPositionPassMemory}.
 */
public final class ByPositionPassMemory {
    public static void main(String[] args) throws Exception {
        ModelConfig config = RandomModels.gpt2SmallConfig();
        try (HookedTransformer model = RandomModels.randomGpt2(config)) {
            EdgePatcher patcher = new EdgePatcher(model, ComputationGraph.byPosition(config, 15));
            try (TaskPatcher tp = new TaskPatcher(patcher, EapThroughput.ioiShapedTask(config, 8), Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                long before = ForwardThroughput.Memory.residentMiB();
                boolean[] keep = new boolean[tp.graph().nEdges()];
                for (int i = 0; i < keep.length; i += 2) {
                    keep[i] = true;
                }
                long start = System.nanoTime();
                tp.evaluateKeep(keep);
                System.out.printf(Locale.ROOT, "%d position-aware edges, 8 x 15 tokens: one patched pass %.1f s; resident %d MiB "
                        + "before it, peak %d MiB%n", keep.length, (System.nanoTime() - start) / 1e9, before,
                        ForwardThroughput.Memory.peakResidentMiB());
            }
        }
    }
}
