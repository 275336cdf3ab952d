package io.circuitscope.benchmarks;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.GradientPassCount;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.generate.Generators;
import io.circuitscope.discovery.Acdc;
import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.Pipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The pipeline (EAP-IG ranks, ACDC verifies the top candidates) against plain ACDC on the same graph:
 * exact forward passes, wall time and the agreement of the circuits. Models: the planted IOI model and
 * the shared llama2.c checkpoint stories260K on an induction task (skipped, with a line saying so, when the
 * file is missing). The pipeline's passes are its exact passes plus its gradient passes, counted where the
 * metric reads a pass's logits inside a gradient collector.
 *
 * <p>The pipeline here is ranking and verification only: unlike {@code discover}, whose pipeline by default
 * also patches 50 unverified edges exactly to bound the false negatives ({@code DiscoveryRun}), it runs no
 * false-negative check, so {@code discover} makes more exact passes than the pipeline rows show.
 *
 * <p>Run: {@code benchmarks/run.sh PipelineVsAcdc [path/to/stories260K.bin]}.
 */
public final class PipelineVsAcdc {
    public static void main(String[] args) throws Exception {
        PlantedModel planted = PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build()) {
            System.out.println("(warm-up run, not timed for the record)");
            compare("warm-up", model, planted.task(1, 32), 0.01, 100);
            compare("planted ioi", model, planted.task(0, 32), 0.01, 100);
        }
        Path stories = Path.of(args.length > 0 ? args[0] : "../shared/models/stories260K/stories260K.bin");
        if (!Files.isRegularFile(stories)) {
            System.out.println("stories260K induction: skipped: " + stories + " not found");
            return;
        }
        try (LoadedModel loaded = ModelLoader.load(stories)) {
            Task task = Generators.byName("induction").generate(null, loaded.model().config().vocabSize(), 16, 1).task();
            compare("stories260K induction", loaded.model(), task, 0.01, 200);
        }
    }

    static void compare(String name, HookedTransformer model, Task task, double tau, int candidates) {
        EdgePatcher patcher = new EdgePatcher(model);
        Timed plainRun = Timed.of(patcher, task, tp -> new Acdc(tau, false).search(tp, null, Progress.NONE));
        Timed acdcRun = Timed.of(patcher, task, tp -> new Acdc(tau).search(tp, null, Progress.NONE));
        Timed pipelineRun = Timed.of(patcher, task, tp -> new Pipeline(new EapIg(5), new CandidateBudget.TopK(candidates),
                new Acdc(tau)).run(tp, Progress.NONE).circuit());
        Circuit plain = plainRun.circuit();
        Circuit acdc = acdcRun.circuit();
        Circuit pipeline = pipelineRun.circuit();
        long plainPasses = plainRun.passes();
        long acdcPasses = acdcRun.passes();
        long pipelinePasses = pipelineRun.passes() + pipelineRun.gradientPasses();
        double plainSeconds = plainRun.seconds();
        double acdcSeconds = acdcRun.seconds();
        double pipelineSeconds = pipelineRun.seconds();
        System.out.printf(Locale.ROOT, "%s: ACDC one full pass per edge %d passes %.1f s, %d edges; ACDC with shared prefixes and "
                + "speculative batches %d passes %.1f s, %d edges (same edges: %b); time ratio %.1fx%n", name, plainPasses,
                plainSeconds, plain.edgeCount(), acdcPasses, acdcSeconds, acdc.edgeCount(),
                java.util.Arrays.equals(plain.keepMask(), acdc.keepMask()), plainSeconds / acdcSeconds);
        int common = 0;
        for (int e = 0; e < acdc.graph().nEdges(); e++) {
            common += acdc.contains(e) && pipeline.contains(e) ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "%s (%d edges, tau %.3f, %d candidates): ACDC %d passes %.1f s, %d edges kept; pipeline %d "
                + "passes (%d of them gradient passes) %.1f s, %d edges kept; %d in both; passes ratio %.1fx, time ratio %.1fx; "
                + "against ACDC one pass per edge: passes ratio %.1fx, time ratio %.1fx%n", name,
                acdc.graph().nEdges(), tau, candidates, acdcPasses, acdcSeconds, acdc.edgeCount(), pipelinePasses,
                pipelineRun.gradientPasses(), pipelineSeconds, pipeline.edgeCount(), common,
                (double) acdcPasses / pipelinePasses, acdcSeconds / pipelineSeconds,
                (double) plainPasses / pipelinePasses, plainSeconds / pipelineSeconds);
    }

    /**
     * One way of finding a circuit on a fresh task (KL, resample, batch 32): its circuit, exact passes, gradient
     * passes and time.
     */
    record Timed(Circuit circuit, long passes, long gradientPasses, double seconds) {
        static Timed of(EdgePatcher patcher, Task task, java.util.function.Function<TaskPatcher, Circuit> method) {
            long start = System.nanoTime();
            GradientPassCount metric = new GradientPassCount(Metrics.KL);
            try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, Ablation.RESAMPLE, 32)) {
                long before = tp.forwardPasses();
                long gradientBefore = metric.count();
                long engineGradientBefore = tp.gradientPasses();
                Circuit c = method.apply(tp);
                long passes = tp.forwardPasses() - before;
                // discover reports the engine's own count (summary.gradient_passes): it must be this harness's
                if (tp.gradientPasses() - engineGradientBefore != metric.count() - gradientBefore) {
                    throw new IllegalStateException("the engine counted " + (tp.gradientPasses() - engineGradientBefore)
                            + " gradient passes, this harness " + (metric.count() - gradientBefore));
                }
                return new Timed(c, passes, metric.count() - gradientBefore, (System.nanoTime() - start) / 1e9);
            }
        }
    }
}
