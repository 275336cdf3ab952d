package io.circuitscope.benchmarks;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Metrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Memory one patched pass over a position-aware graph needs on a GPT-2-small-shaped model (random weights):
 * 8 prompts x 15 tokens, every other edge kept. A pass without gradients should hold about one layer's
 * differences at a time, not every layer's. The peak is the pass's own: the high-water mark (VmHWM) is reset
 * just before the pass, else building the model and preparing the task would set it; where the reset is refused,
 * the output says the peak is since the process started and gives the peak before the pass.
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
                long peakBefore = ProcessMemory.peakResidentMiB();
                boolean reset = resetPeak();
                long before = ProcessMemory.residentMiB();
                boolean[] keep = new boolean[tp.graph().nEdges()];
                for (int i = 0; i < keep.length; i += 2) {
                    keep[i] = true;
                }
                long start = System.nanoTime();
                tp.evaluateKeep(keep);
                System.out.printf(Locale.ROOT, "%d position-aware edges, 8 x 15 tokens: one patched pass %.1f s; resident %d MiB "
                        + "before it, peak %d MiB %s (peak since start before the pass: %d MiB)%n", keep.length,
                        (System.nanoTime() - start) / 1e9, before, ProcessMemory.peakResidentMiB(),
                        reset ? "during it" : "since start (/proc/self/clear_refs refused the reset)", peakBefore);
            }
        }
    }

    /** Resets this process's VmHWM to its VmRSS (Linux: "5" to clear_refs); false where that is refused. */
    private static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
