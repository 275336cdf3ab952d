package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDManager;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;

/**
 * Forward throughput (tokens/s) and peak resident memory of a GPT-2-small-shaped model with random
 * weights at batch 8 x 64 tokens, without hooks and with every hook cached.
 *
 * <p>Run: {@code benchmarks/run.sh ForwardThroughput [warmup] [iterations]}.
 */
public final class ForwardThroughput {
    public static void main(String[] args) throws Exception {
        int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int batch = 8;
        int seq = 64;
        ModelConfig config = RandomModels.gpt2SmallConfig();
        long rssBeforeModel = ProcessMemory.residentMiB();
        try (HookedTransformer model = RandomModels.randomGpt2(config)) {
            System.out.printf(Locale.ROOT, "model: GPT-2-small shape, %,d parameters (random weights), resident after load %d MiB "
                    + "(before %d MiB)%n", config.parameterCount(true), ProcessMemory.residentMiB(), rssBeforeModel);
            int[][] tokens = new int[batch][seq];
            Random rng = new Random(0);
            for (int[] row : tokens) {
                Arrays.setAll(row, i -> rng.nextInt(config.vocabSize()));
            }
            for (boolean cacheAll : new boolean[] {false, true}) {
                double[] seconds = new double[iterations];
                for (int i = -warmup; i < iterations; i++) {
                    long start = System.nanoTime();
                    try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.all(run)) {
                        model.forward(run, tokens, cacheAll ? Hooks.caching(cache) : Hooks.none()).sum().getFloat();
                    }
                    if (i >= 0) {
                        seconds[i] = (System.nanoTime() - start) / 1e9;
                    }
                }
                DescriptiveStatistics s = new DescriptiveStatistics(seconds);
                System.out.printf(Locale.ROOT, "%-22s batch %d x %d: %8.0f tokens/s (mean %.3f s/pass, sd %.3f, n=%d), peak resident %d MiB%n",
                        cacheAll ? "forward + cache all" : "forward, no hooks", batch, seq, batch * seq / s.getMean(),
                        s.getMean(), s.getStandardDeviation(), iterations, ProcessMemory.peakResidentMiB());
            }
        }
    }
}
