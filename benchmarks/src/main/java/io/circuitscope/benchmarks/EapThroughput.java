package io.circuitscope.benchmarks;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.AtpStar;
import io.circuitscope.discovery.Eap;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.EdgeScorer;
import io.circuitscope.discovery.RelP;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;

/**
 * Time to score every edge of a GPT-2-small-shaped model (32,491 edges, random weights) with EAP and
 * EAP-IG (or any of eap, eap-ig(5), eap-ig-inputs(5), relp, atp-star) on an IOI-sized batch of 20 prompts x 15 tokens.
 *
 * <p>Run: {@code benchmarks/run.sh EapThroughput [repeats] [scorer,scorer...]}.
 */
public final class EapThroughput {
    /** The scorers this harness times, by the name it prints. */
    private static final java.util.Map<String, EdgeScorer> SCORERS = new java.util.LinkedHashMap<>();

    static {
        SCORERS.put("eap", new Eap());
        SCORERS.put("eap-ig(5)", new EapIg(5));
        SCORERS.put("eap-ig-inputs(5)", new EapIg(5, EapIg.Interpolation.INPUTS));
        SCORERS.put("relp", new RelP(false));
        SCORERS.put("atp-star", new AtpStar());
    }

    /** 20 random prompts of 15 tokens whose corrupted twins differ at positions 3 and 9 (the IOI names' places). */
    static Task ioiSizedTask(ModelConfig config) {
        return ioiShapedTask(config, 20);
    }

    /** {@code n} random prompts of 15 tokens whose corrupted twins differ at positions 3 and 9. */
    static Task ioiShapedTask(ModelConfig config, int n) {
        Random rng = new Random(0);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] clean = new int[15];
            int[] corrupt = new int[15];
            for (int p = 0; p < 15; p++) {
                clean[p] = rng.nextInt(config.vocabSize());
                corrupt[p] = p == 3 || p == 9 ? rng.nextInt(config.vocabSize()) : clean[p];
            }
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, rng.nextInt(1000), rng.nextInt(1000)))));
        }
        return new Task("ioi-shaped", examples);
    }

    /** A scorer this harness knows by its printed name. */
    static EdgeScorer scorer(String name) {
        EdgeScorer scorer = SCORERS.get(name);
        if (scorer == null) {
            throw new IllegalArgumentException("unknown scorer " + name + " (known: " + SCORERS.keySet() + ")");
        }
        return scorer;
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        List<String> methods = args.length > 1 ? List.of(args[1].split(",")) : List.of("eap", "eap-ig(5)");
        ModelConfig config = RandomModels.gpt2SmallConfig();
        Task task = ioiSizedTask(config);
        try (HookedTransformer model = RandomModels.randomGpt2(config)) {
            EdgePatcher patcher = new EdgePatcher(model);
            long prepStart = System.nanoTime();
            try (TaskPatcher tp = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 20)) {
                System.out.printf(Locale.ROOT, "graph: %d edges; task preparation (corrupted outputs, clean and corrupted metric): %.2f s%n",
                        tp.graph().nEdges(), (System.nanoTime() - prepStart) / 1e9);
                for (String method : methods) {
                    EdgeScorer scorer = scorer(method);
                    double[] seconds = new double[repeats];
                    for (int r = -1; r < repeats; r++) {
                        long start = System.nanoTime();
                        scorer.score(tp, Progress.NONE);
                        if (r >= 0) {
                            seconds[r] = (System.nanoTime() - start) / 1e9;
                        }
                    }
                    DescriptiveStatistics s = new DescriptiveStatistics(seconds);
                    System.out.printf(Locale.ROOT, "%-10s all %d edges, 20 x 15 tokens: %.2f s (sd %.2f, n=%d), peak resident %d MiB%n",
                            method, tp.graph().nEdges(), s.getMean(), s.getStandardDeviation(), repeats, ProcessMemory.peakResidentMiB());
                }
            }
        }
    }
}
