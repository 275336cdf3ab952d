package io.circuitscope.benchmarks;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;

/**
 * What Gemma 2's sandwich norms cost edge patching: the same GPT-2-small-shaped random model (32,491 edges)
 * without and with a norm on each sublayer's output. With them every destination recomputes each earlier
 * layer's post-attention norm on its own mix of head results, and the scorers' cheap gradient takes each
 * head's difference through that norm's derivative. Times EAP, AtP* and batches of random edge masks
 * (exact patched passes, as ACDC and validation run them) on 20 prompts x 15 tokens.
 *
 * <p>Run: {@code benchmarks/run.sh SandwichNormCost [repeats] [masks] [all|masks]}; {@code masks} times the
 * random masks alone.
 */
public final class SandwichNormCost {
    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int masks = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        boolean scorers = args.length <= 2 || args[2].equals("all");
        for (ModelConfig config : List.of(RandomModels.gpt2SmallConfig(), RandomModels.gpt2SmallWithSandwichNormsConfig())) {
            String name = config.sandwichNorms() ? "sandwich norms" : "plain";
            Task task = EapThroughput.ioiSizedTask(config);
            try (HookedTransformer model = RandomModels.randomGpt2(config);
                    TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), task, Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 20)) {
                for (String method : scorers ? List.of("eap", "atp-star") : List.<String>of()) {
                    double[] seconds = new double[repeats];
                    for (int r = -1; r < repeats; r++) {
                        long start = System.nanoTime();
                        EapThroughput.scorer(method).score(tp, Progress.NONE);
                        if (r >= 0) {
                            seconds[r] = (System.nanoTime() - start) / 1e9;
                        }
                    }
                    report(name, method + ", all " + tp.graph().nEdges() + " edges", seconds);
                }
                List<boolean[]> random = randomMasks(tp.graph().nEdges(), masks);
                double[] seconds = new double[repeats];
                long passes = 0;
                for (int r = -1; r < repeats; r++) {
                    long before = tp.forwardPasses();
                    long start = System.nanoTime();
                    tp.evaluateKeep(random);
                    if (r >= 0) {
                        seconds[r] = (System.nanoTime() - start) / 1e9;
                        passes = tp.forwardPasses() - before;
                    }
                }
                report(name, masks + " random edge masks (" + passes + " patched passes)", seconds);
            }
        }
    }

    private static void report(String model, String what, double[] seconds) throws Exception {
        DescriptiveStatistics s = new DescriptiveStatistics(seconds);
        System.out.printf(Locale.ROOT, "%-14s %-48s %.2f s (sd %.2f, n=%d), peak resident %d MiB%n", model, what, s.getMean(),
                s.getStandardDeviation(), seconds.length, ProcessMemory.peakResidentMiB());
    }

    /** Masks that keep each edge with probability 1/2, seeded. */
    private static List<boolean[]> randomMasks(int edges, int count) {
        Random rng = new Random(7);
        List<boolean[]> out = new ArrayList<>();
        for (int m = 0; m < count; m++) {
            boolean[] keep = new boolean[edges];
            for (int e = 0; e < edges; e++) {
                keep[e] = rng.nextBoolean();
            }
            out.add(keep);
        }
        return out;
    }
}
