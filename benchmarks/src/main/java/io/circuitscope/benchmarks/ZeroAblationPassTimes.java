package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDManager;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Time of exact patched passes under zero ablation on a GPT-2-small-shaped random model (8 prompts x 15 tokens, one
 * batch), for a few masks: time, the peak resident set during each mask's passes, and the arrays the model's
 * manager holds after them. Run:
 * {@code benchmarks/run.sh ZeroAblationPassTimes [repeats] [plain|sandwich]}.
 */
public final class ZeroAblationPassTimes {
    /** Resets this process's VmHWM to its VmRSS (Linux: "5" to clear_refs); false where that is refused. */
    private static boolean resetPeak() {
        try {
            java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        boolean sandwich = args.length > 1 && args[1].equals("sandwich");
        ModelConfig config = sandwich ? RandomModels.gpt2SmallWithSandwichNormsConfig() : RandomModels.gpt2SmallConfig();
        Task task = EapThroughput.ioiShapedTask(config, 8);
        try (HookedTransformer model = RandomModels.randomGpt2(config)) {
            EdgePatcher patcher = new EdgePatcher(model);
            ComputationGraph g = patcher.graph();
            NDManager weights = model.weights().wE().getManager();
            Map<String, List<boolean[]>> masks = new LinkedHashMap<>();
            boolean[] kept = new boolean[g.nEdges()];
            Arrays.fill(kept, true);
            masks.put("all kept", List.of(kept));
            boolean[] mlp6 = kept.clone();
            for (Edge e : g.edges()) {
                if (e.destination().index() == g.mlpDestination(6)) {
                    mlp6[e.index()] = false;
                }
            }
            masks.put("MLP 6's in-edges cut", List.of(mlp6));
            Random rng = new Random(0);
            for (double cut : new double[] {0.5, 0.99}) {
                boolean[] keep = new boolean[g.nEdges()];
                for (int e = 0; e < keep.length; e++) {
                    keep[e] = rng.nextDouble() >= cut;
                }
                masks.put("random " + (int) (cut * 100) + "% cut", List.of(keep));
            }
            masks.put("all cut", List.of(new boolean[g.nEdges()]));
            List<boolean[]> four = new ArrayList<>();
            for (List<boolean[]> m : masks.values()) {
                four.add(m.get(0));
            }
            masks.put("5 masks above in one pass", four.subList(0, 5));
            try (TaskPatcher tp = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, Ablation.ZERO, 8)) {
                int before = weights.getManagedArrays().size();
                int passes = 0;
                for (Map.Entry<String, List<boolean[]>> m : masks.entrySet()) {
                    tp.evaluateKeep(m.getValue()); // warm-up
                    boolean reset = resetPeak();
                    long resident = ProcessMemory.residentMiB();
                    double[] s = new double[repeats];
                    double value = 0;
                    for (int r = 0; r < repeats; r++) {
                        long start = System.nanoTime();
                        value = tp.evaluateKeep(m.getValue())[0];
                        s[r] = (System.nanoTime() - start) / 1e9;
                    }
                    passes += repeats + 1;
                    Arrays.sort(s);
                    System.out.printf(Locale.ROOT, "%-28s median %.3f s, min %.3f s (n=%d), metric %.5f; resident %d MiB "
                            + "before, peak %d MiB %s%n", m.getKey(), s[repeats / 2], s[0], repeats, value, resident,
                            ProcessMemory.peakResidentMiB(), reset ? "during the passes" : "since start");
                }
                System.out.printf(Locale.ROOT, "%s: %d passes; model's manager +%d arrays; peak resident %d MiB%n",
                        sandwich ? "sandwich" : "plain", passes, weights.getManagedArrays().size() - before,
                        ProcessMemory.peakResidentMiB());
            }
        }
    }
}
