package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDArray;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import java.util.List;
import java.util.Locale;

/**
 * Resident memory a prepared task holds on a GPT-2-small-shaped model (random weights): per batch it should
 * keep the sources' corrupted outputs ([157 sources, B, seq, 768] floats: 157 x 16 x 15 x 768 x 4 B = 110 MiB for
 * 16 x 15 tokens, 1,104 MiB for the default 160 examples) and no more, however many batches the task has. It also
 * prints the bytes of the arrays the task's manager holds, by shape (a broadcast view counts as its full shape,
 * though it shares its source's memory).
 *
 * <p>Run: {@code benchmarks/run.sh TaskPreparationMemory [examples] [batchSize] [resample|mean|zero]}.
 */
public final class TaskPreparationMemory {
    public static void main(String[] args) throws Exception {
        int examples = args.length > 0 ? Integer.parseInt(args[0]) : 160;
        int batchSize = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        Ablation ablation = args.length > 2 ? Ablation.parse(args[2]) : Ablation.RESAMPLE;
        ModelConfig config = RandomModels.gpt2SmallConfig();
        Task task = EapThroughput.ioiShapedTask(config, examples);
        try (HookedTransformer model = RandomModels.randomGpt2(config)) {
            EdgePatcher patcher = new EdgePatcher(model);
            System.gc();
            long before = ProcessMemory.residentMiB();
            try (TaskPatcher tp = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, ablation, batchSize)) {
                long after = ProcessMemory.residentMiB();
                List<NDArray> held = tp.manager().getManagedArrays();
                long heldBytes = held.stream().mapToLong(a -> a.getShape().size() * a.getDataType().getNumOfBytes()).sum();
                long sourcesMiB = (long) tp.graph().sources().size() * examples * 15 * config.dModel() * 4 >> 20;
                System.out.printf(Locale.ROOT, "%d examples x 15 tokens in %d batches, %s ablation: resident %d MiB before, %d MiB "
                        + "after preparing (+%d MiB; the corrupted source outputs alone are %d MiB), peak %d MiB%n",
                        examples, tp.batches().size(), ablation.name().toLowerCase(Locale.ROOT), before, after, after - before,
                        sourcesMiB, ProcessMemory.peakResidentMiB());
                System.out.printf(Locale.ROOT, "the task's manager holds %d arrays, %d MiB by shape%n", held.size(),
                        heldBytes >> 20);
            }
        }
    }
}
