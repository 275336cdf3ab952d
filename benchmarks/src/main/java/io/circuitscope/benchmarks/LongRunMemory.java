package io.circuitscope.benchmarks;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import io.circuitscope.circuits.run.CallerNames;
import io.circuitscope.circuits.run.DiscoveryRun;
import io.circuitscope.circuits.run.DiscoverySettings;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.Discovery;
import io.circuitscope.discovery.DiscoveryOptions;
import io.circuitscope.discovery.Eap;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.Methods;
import io.circuitscope.discovery.analysis.ActivationPatching;
import io.circuitscope.discovery.analysis.PathPatching;
import io.circuitscope.validation.CircuitValidator;
import io.circuitscope.validation.ValidationSettings;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.math3.stat.regression.SimpleRegression;

/**
 * Whether long runs grow memory: in one JVM, each discovery method the command line offers (and validation)
 * runs many times on the same model and the same prepared task (one {@link TaskPatcher} per method, as one
 * long discovery or a compare-scorers run uses it), and after every iteration the harness records the
 * process's resident set (/proc/self/status VmRSS), the NDArrays alive in the engine (every manager
 * descends from PyTorch's system manager) and in the task's own manager, and the open managers. A leak shows
 * as a positive slope of the resident set over the second half of the iterations (the first half is
 * warm-up: allocator pools, JIT), or, more sensitively, as array or manager counts that grow each iteration.
 * What passes keep until their batch ends is freed before the iteration's count, so the metric also counts,
 * at each pass, the arrays its scope holds outside it ({@link PassGrowth}): the most that grew over one
 * scope's passes is reported per iteration (0 when every pass frees what it made).
 * The last rows, {@code discover} and {@code discover-by-position}, run the whole command with its defaults
 * ({@link DiscoveryRun#run}: pipeline, EAP-IG, KL divergence; task preparation included) each iteration, on the
 * plain and the position-aware graph. {@code eap-ig-inputs-1} is {@code eap-ig-inputs} with one step per pass
 * (the path large models take), {@code patch-heads} the {@code patch} command's head sweep by position and
 * {@code path-patch} its senders into the logits, both noising with the ablation argument as the corruption.
 *
 * <p>Exit status: 1, after the whole table, when a deterministic count grew: a method whose engine or task
 * arrays, open managers or arrays kept from pass to pass are more in the last iteration than in the first
 * (each such method and count is named); 0 otherwise. A steady nonzero pass-to-pass count does not fail the
 * run: ACDC's shared prefixes (acdc, exact, pipeline) hold 32 arrays beside the passes while a layer is tried.
 * The resident set is information only: the allocator keeps or returns freed buffers by the order of frees,
 * so it moves without a leak.
 *
 * <p>Model: random GPT-2-shaped, 3 layers x 4 heads, d_model 64, d_mlp 256, vocab 1000 (262 edges, the
 * planted IOI model's graph), small enough that every method but exhaustive patching runs in about a second
 * on 2 shared cores (at 4 layers x 8 heads, d_model 256, one EAP, AtP* or RelP iteration took 27-46 s);
 * task: 12 prompts x 15 tokens, logit difference, by default resample ablation and batch size 16 (the CLI's
 * defaults).
 *
 * <p>Run: {@code benchmarks/run.sh LongRunMemory [iterations] [all|method,method...] [resample|mean|zero]
 * [batchSize] [plain|sandwich]} ({@code sandwich}: the same model with Gemma 2's sandwich norms); methods are the CLI's
 * ({@code acdc, atp, eap, eap-ig, eap-ig-inputs, atp-star, relp, relp-ah, exact, pipeline}: {@link Methods#methodKeys})
 * plus {@code validate}, {@code eap-ig-inputs-1}, {@code patch-heads}, {@code path-patch}, {@code discover} and
 * {@code discover-by-position}; default: all, 24 iterations.
 */
public final class LongRunMemory {
    private static final int EDGES = DiscoverySettings.defaults().edges(); // the CLI's default for scorer-only methods
    private static final String ONE_STEP_PER_PASS = "eap-ig-inputs-1";
    private static final List<String> ANALYSES = List.of("patch-heads", "path-patch");

    /** One iteration's measurements. */
    record Sample(double residentMiB, double heapMiB, int engineArrays, int taskArrays, int managers,
            int passGrowth, double seconds) {
    }

    public static void main(String[] args) throws Exception {
        List<String> grown = new ArrayList<>();
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 24;
        Ablation ablation = args.length > 2 ? Ablation.parse(args[2]) : Ablation.RESAMPLE;
        int batchSize = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        List<String> methods = new ArrayList<>();
        if (args.length > 1 && !args[1].equals("all")) {
            methods.addAll(List.of(args[1].split(",")));
        } else {
            methods.addAll(Methods.methodKeys());
            methods.add("validate");
            methods.add(ONE_STEP_PER_PASS);
            methods.addAll(ANALYSES);
            methods.add("discover");
            methods.add("discover-by-position");
        }
        boolean sandwich = args.length > 4 && args[4].equals("sandwich");
        ModelConfig config = ModelConfig.builder("gpt2").setSizes(64, 3, 4, 256, 1000, 32).optSandwichNorms(sandwich)
                .build();
        Task task = EapThroughput.ioiShapedTask(config, 12);
        NDManager probe = NDManager.newBaseManager();
        NDManager engine = probe.getParentManager(); // PyTorch's system manager: every manager's ancestor
        probe.close();
        System.out.printf(Locale.ROOT, "%d iterations per method, %s model, %d edges, %d prompts, %s ablation, batch size %d; "
                + "resident %.0f MiB at start%n", iterations, sandwich ? "sandwich-norm" : "plain",
                ComputationGraph.of(config).nEdges(), task.size(),
                ablation.name().toLowerCase(java.util.Locale.ROOT), batchSize, ProcessMemory.residentMiBExact());
        System.out.println("| method | RSS after 1st (MiB) | RSS after last (MiB) | slope ± s.e., 2nd half (MiB/iter) "
                + "| engine arrays, 1st / last | task arrays, 1st / last | open managers, 1st / last "
                + "| Java heap used, 1st / last (MiB) | arrays kept from pass to pass, 1st / last | s/iter |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        try (HookedTransformer model = RandomModels.randomGpt2(config)) {
            EdgePatcher patcher = new EdgePatcher(model);
            for (String method : methods) {
                List<Sample> samples = new ArrayList<>();
                if (method.startsWith("discover")) {
                    // the CLI's defaults (pipeline, eap-ig with 5 steps, 200 candidates, KL), task preparation included
                    DiscoverySettings d = DiscoverySettings.defaults();
                    DiscoverySettings s = new DiscoverySettings(d.method(), d.scorer(), d.candidates(), d.tau(), d.metric(),
                            ablation, d.igSteps(), d.edges(), d.nodes(), batchSize, d.seed(),
                            method.equals("discover-by-position"));
                    for (int i = 0; i < iterations; i++) {
                        long start = System.nanoTime();
                        DiscoveryRun.run(model, "random", task, s, CallerNames.flags(), Progress.NONE);
                        samples.add(sample(engine, null, -1, start)); // its own metric: passes not watched
                    }
                } else {
                    PassGrowth metric = new PassGrowth(Metrics.LOGIT_DIFF);
                    try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, ablation, batchSize)) {
                        Circuit toValidate = method.equals("validate")
                                ? circuitOf(tp, new Eap().score(tp, Progress.NONE)) : null;
                        for (int i = 0; i < iterations; i++) {
                            long start = System.nanoTime();
                            metric.take(); // the task's preparation and earlier work are not this iteration's
                            runOnce(method, tp, toValidate);
                            samples.add(sample(engine, tp.manager(), metric.take(), start));
                        }
                    }
                }
                report(method, samples);
                grown.addAll(grownCounts(method, samples));
            }
        }
        System.out.printf(Locale.ROOT, "resident %.0f MiB at the end, peak %d MiB%n", ProcessMemory.residentMiBExact(),
                ProcessMemory.peakResidentMiB());
        System.out.println("RSS is information only (allocator noise); the exit status checks the array and manager counts.");
        if (!grown.isEmpty()) {
            grown.forEach(g -> System.out.println("GREW: " + g));
            System.exit(1);
        }
        System.out.println("counts steady: no array or manager count grew from the first iteration to the last");
    }

    /** The deterministic counts of {@code method} that grew from the first iteration to the last. */
    static List<String> grownCounts(String method, List<Sample> samples) {
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        List<String> grown = new ArrayList<>();
        addIfGrew(grown, method, "engine arrays", first.engineArrays(), last.engineArrays());
        addIfGrew(grown, method, "task arrays", first.taskArrays(), last.taskArrays());
        addIfGrew(grown, method, "open managers", first.managers(), last.managers());
        addIfGrew(grown, method, "arrays kept from pass to pass", first.passGrowth(), last.passGrowth());
        return grown;
    }

    private static void addIfGrew(List<String> grown, String method, String count, int first, int last) {
        if (last > first) {
            grown.add(String.format(Locale.ROOT, "%s: %s %d after the 1st iteration, %d after the last", method, count,
                    first, last));
        }
    }

    /**
     * One run of {@code method} on a prepared task, with the CLI's default settings, as {@link DiscoveryRun#run} runs it
     * ({@link Discovery#find}; preparation and circuit.json aside).
     */
    private static void runOnce(String method, TaskPatcher tp, Circuit toValidate) {
        switch (method) {
            case "validate" -> new CircuitValidator(ValidationSettings.defaults()).validate(tp, toValidate, Progress.NONE);
            case "patch-heads", "path-patch" -> analyse(method, tp);
            default -> {
                DiscoverySettings d = DiscoverySettings.defaults();
                boolean oneStep = method.equals(ONE_STEP_PER_PASS);
                DiscoveryOptions o = new DiscoveryOptions(oneStep ? "eap-ig-inputs" : method, d.scorer(), d.candidates(),
                        d.tau(), d.igSteps(), EDGES, d.nodes(), d.seed());
                Discovery.Found found = oneStep
                        ? Discovery.keepTopScored(tp, new EapIg(d.igSteps(), EapIg.Interpolation.INPUTS, 1), o,
                                CallerNames.flags(), Progress.NONE)
                        : Discovery.find(tp, o, CallerNames.flags(), Progress.NONE);
                tp.evaluateKeep(found.circuit().keepMask());
            }
        }
    }

    /** The {@code patch} command's head sweep by position or its senders into the logits, noising with the task's ablation. */
    private static void analyse(String method, TaskPatcher tp) {
        HookedTransformer model = tp.patcher().model();
        Corruption corruption = Corruption.byName(tp.ablation().name(), 0);
        if (method.equals("patch-heads")) {
            ActivationPatching.sweep(model, tp.task(), new ActivationPatching.Options(tp.metric(), Direction.NOISE,
                    corruption, ActivationPatching.Site.HEADS, true, 64, 64));
        } else {
            PathPatching.senders(model, tp.task(), tp.metric(), Direction.NOISE, corruption,
                    PathPatching.Receiver.parse("logits", model.config()), 64);
        }
    }

    private static Circuit circuitOf(TaskPatcher tp, EdgeScores scores) {
        return Circuit.of(tp.graph(), scores.topK(EDGES), scores).pruned(tp.ablation());
    }

    private static Sample sample(NDManager engine, NDManager taskManager, int passGrowth, long start) throws Exception {
        double seconds = (System.nanoTime() - start) / 1e9;
        System.gc(); // Java garbage is not a leak; collect it so the resident set shows what stays
        Runtime java = Runtime.getRuntime();
        double heapMiB = (java.totalMemory() - java.freeMemory()) / (1024.0 * 1024);
        return new Sample(ProcessMemory.residentMiBExact(), heapMiB, engine.getManagedArrays().size(),
                taskManager == null ? 0 : taskManager.getManagedArrays().size(), managers(engine), passGrowth, seconds);
    }

    private static void report(String method, List<Sample> samples) {
        int n = samples.size();
        Sample first = samples.get(0);
        Sample last = samples.get(n - 1);
        double[] rss = samples.stream().mapToDouble(Sample::residentMiB).toArray();
        double seconds = samples.stream().mapToDouble(Sample::seconds).sum() / n;
        double[] slope = slope(rss, n / 2);
        String growth = first.passGrowth() < 0 ? "-" : first.passGrowth() + " / " + last.passGrowth();
        System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %+.3f ± %.3f | %d / %d | %d / %d | %d / %d | %.1f / %.1f | %s | %.2f |%n",
                method, first.residentMiB(), last.residentMiB(), slope[0], slope[1], first.engineArrays(), last.engineArrays(),
                first.taskArrays(), last.taskArrays(), first.managers(), last.managers(), first.heapMiB(), last.heapMiB(),
                growth, seconds);
        StringBuilder series = new StringBuilder("  " + method + " RSS MiB per iteration:");
        for (double r : rss) {
            series.append(String.format(Locale.ROOT, " %.1f", r));
        }
        System.out.println(series);
    }

    /**
     * Least-squares slope of {@code ys[from..]} against the iteration number, and its standard error
     * (sqrt of the residual mean square, over n - 2, divided by the sum of squared x deviations).
     */
    static double[] slope(double[] ys, int from) {
        if (ys.length - from < 3) {
            return new double[] {Double.NaN, Double.NaN};
        }
        SimpleRegression fit = new SimpleRegression();
        for (int i = from; i < ys.length; i++) {
            fit.addData(i, ys[i]);
        }
        return new double[] {fit.getSlope(), fit.getSlopeStdErr()};
    }

    /** Managers open under {@code m}, {@code m} included (DJL keeps no count; its resource table is read). */
    private static int managers(NDManager m) throws Exception {
        int count = 1;
        for (AutoCloseable r : resources(m).values()) {
            if (r instanceof NDManager sub) {
                count += managers(sub);
            }
        }
        return count;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, AutoCloseable> resources(NDManager m) throws Exception {
        Field f = BaseNDManager.class.getDeclaredField("resources");
        f.setAccessible(true);
        return (Map<String, AutoCloseable>) f.get(m);
    }
}
