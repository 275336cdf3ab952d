package io.circuitscope.benchmarks;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.EdgeScorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@link EapThroughput}'s model, task and batch, printing every timed scoring's wall time and the process's CPU time
 * (user + system) during it, then the fastest and the median of each: on a machine shared with other jobs the
 * fastest run and the CPU time say more about the code than a mean. {@code exact} times exact patched passes
 * instead of a scorer: twice {@code TaskPatcher.masksPerPass()} random keep-masks (90% of edges kept).
 *
 * <p>Run: {@code benchmarks/run.sh EapScoringTimes [repeats] [eap | eap-ig(5) | ... | exact]}.
 */
public final class EapScoringTimes {
    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String method = args.length > 1 ? args[1] : "eap";
        ModelConfig config = RandomModels.gpt2SmallConfig();
        Task task = EapThroughput.ioiSizedTask(config);
        EdgeScorer scorer = method.equals("exact") ? null : EapThroughput.scorer(method);
        try (HookedTransformer model = RandomModels.randomGpt2(config);
                TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), task, Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 20)) {
            double[] wall = new double[repeats];
            double[] cpu = new double[repeats];
            for (int r = -1; r < repeats; r++) {
                long start = System.nanoTime();
                double cpuStart = processCpuSeconds();
                if (scorer != null) {
                    scorer.score(tp, Progress.NONE);
                } else {
                    tp.evaluateKeep(randomMasks(tp, 2 * tp.masksPerPass(), new Random(r)));
                }
                if (r >= 0) {
                    wall[r] = (System.nanoTime() - start) / 1e9;
                    cpu[r] = processCpuSeconds() - cpuStart;
                }
            }
            System.out.printf(Locale.ROOT, "%s, all %d edges, 20 x 15 tokens: wall %s | CPU %s (s), peak resident %d MiB%n",
                    method, tp.graph().nEdges(), summary(wall), summary(cpu), ProcessMemory.peakResidentMiB());
        }
    }

    private static List<boolean[]> randomMasks(TaskPatcher tp, int count, Random rng) {
        List<boolean[]> masks = new ArrayList<>();
        for (int m = 0; m < count; m++) {
            boolean[] keep = new boolean[tp.graph().nEdges()];
            for (int e = 0; e < keep.length; e++) {
                keep[e] = rng.nextDouble() < 0.9;
            }
            masks.add(keep);
        }
        return masks;
    }

    private static String summary(double[] seconds) {
        StringBuilder sb = new StringBuilder();
        for (double s : seconds) {
            sb.append(String.format(Locale.ROOT, "%.2f ", s));
        }
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        return sb.append(String.format(Locale.ROOT, "(min %.2f, median %.2f)", sorted[0], sorted[sorted.length / 2]))
                .toString();
    }

    /** User + system CPU seconds of this process so far, from /proc/self/stat (Linux; clock ticks of 1/100 s). */
    private static double processCpuSeconds() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }
}
