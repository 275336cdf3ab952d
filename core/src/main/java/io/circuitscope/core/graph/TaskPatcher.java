package io.circuitscope.core.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.MeanAblationGroups;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskEffect;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A task, a metric and an ablation bound to an {@link EdgePatcher}: everything needed to ask "what
 * is the metric when these edges are kept?" many times. Per batch it prepares, once, the patched
 * source outputs and (for KL) the clean log-probabilities; it owns them until closed.
 *
 * <p>Task-level values are the mean over all targets of the task.
 */
public final class TaskPatcher implements AutoCloseable {
    /** One batch with what every patched pass over it needs. */
    public record PreparedBatch(Batch batch, SourceOutputs patched, NDArray cleanLogProbs) {
    }

    /**
     * Memory one patched pass may use. Every mask of a pass is a copy of the batch. Passes that keep
     * every layer's per-head inputs (gradient passes) need about 14 MB per token for GPT-2 small; passes
     * without gradients free each layer's as they go and need about 1.7 MB (measured, 20 prompts x 15
     * tokens: 1, 2, 4, 8 masks in one pass 2.6, 3.0, 4.1, 6.1 GB resident). The masks of one call are
     * split into passes that fit, estimated for the former, which also keeps GPT-2-small passes at one
     * mask each: there a pass of 8 masks took 35.8 s against 1.4 s for one.
     */
    public static final long PASS_BUDGET_BYTES = 4L << 30;

    private final int masksPerPass; // fixed by the budget, the model and the batches
    private final EdgePatcher patcher;
    private final Task task;
    private final Metric metric;
    private final Ablation ablation;
    private final NDManager manager;
    private final List<PreparedBatch> batches = new ArrayList<>();
    private final int totalTargets;
    private long forwardPasses;
    private long gradientPasses;
    private long patchedLayers;
    private final double cleanValue;
    private final double corruptedValue;

    public TaskPatcher(EdgePatcher patcher, Task task, Metric metric, Ablation ablation, int batchSize) {
        this(patcher, task, metric, ablation, batchSize, PASS_BUDGET_BYTES);
    }

    /** As above, with {@code passBudgetBytes} instead of {@link #PASS_BUDGET_BYTES} for each patched pass. */
    public TaskPatcher(EdgePatcher patcher, Task task, Metric metric, Ablation ablation, int batchSize,
            long passBudgetBytes) {
        this.patcher = patcher;
        this.task = task;
        this.metric = metric;
        this.ablation = ablation;
        metric.check(task);
        checkPositions(patcher.graph(), task);
        if (ablation == Ablation.MEAN) { // an example alone at its length would be resampled, not mean-ablated
            // named in words: the CLI and batch check first, naming their own option or plan field
            MeanAblationGroups.of(task).requireNoSingletons("ablation");
        }
        this.manager = patcher.model().newRunManager();
        int targets = 0;
        try {
            List<Batch> all = task.batches(batchSize);
            Map<Integer, NDArray> means = ablation == Ablation.MEAN ? meanSourceOutputs(all) : Map.of();
            for (Batch b : all) {
                SourceOutputs patched = switch (ablation) {
                    case RESAMPLE -> patcher.sourceOutputs(manager, b.corrupt());
                    case MEAN -> SourceOutputs.repeated(means.get(b.length()), b.size());
                    case ZERO -> zeroSourceOutputs(b);
                };
                NDArray cleanLogProbs = null;
                if (metric.needsCleanReference()) {
                    try (NDManager run = manager.newSubManager()) {
                        NDArray logits = patcher.model().forward(run, b.clean(), Hooks.none(), GradientRules.EXACT,
                                b.logitPositions());
                        cleanLogProbs = Metric.cleanReference(logits, b);
                        cleanLogProbs.attach(manager);
                    }
                }
                batches.add(new PreparedBatch(b, patched, cleanLogProbs));
                targets += b.targets();
                // zeros take no pass, and the mean's passes are counted where it is taken
                forwardPasses += ablation == Ablation.RESAMPLE ? 2 : 1;
            }
            this.totalTargets = targets;
            this.masksPerPass = masksPerPass(patcher.model().config(), batches, passBudgetBytes);
            // the all-kept mask is the clean run, and with resampling the all-patched mask is the corrupted
            // run (identities the tests check), so plain forward passes give both ends
            this.cleanValue = unpatchedValue(false);
            this.corruptedValue = ablation == Ablation.RESAMPLE ? unpatchedValue(true)
                    : evaluateKeep(List.of(new boolean[patcher.graph().nEdges()]))[0];
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Every source's output on the corrupted prompts averaged over all examples of each prompt length,
     * [nSources, 1, seq, d_model] per length: the task's mean, as Wang et al. and MIB take it, so that mean
     * ablation does not depend on how the examples happen to be batched.
     */
    private Map<Integer, NDArray> meanSourceOutputs(List<Batch> all) {
        Map<Integer, NDArray> sums = new HashMap<>();
        Map<Integer, Integer> counts = new HashMap<>();
        for (Batch b : all) {
            try (NDManager run = manager.newSubManager()) {
                NDArray sum = patcher.sourceOutputs(run, b.corrupt()).stacked().sum(new int[] {1}, true);
                NDArray previous = sums.get(b.length());
                NDArray total = previous == null ? sum : previous.add(sum);
                total.attach(manager);
                if (previous != null) {
                    previous.close(); // the task's manager would keep every partial sum until the task closes
                }
                sums.put(b.length(), total);
                counts.merge(b.length(), b.size(), Integer::sum);
                forwardPasses++;
            }
        }
        Map<Integer, NDArray> means = new HashMap<>();
        sums.forEach((length, sum) -> {
            means.put(length, sum.div(counts.get(length)));
            sum.close();
        });
        return means;
    }

    /** Zeros shaped like the batch's source outputs, [nSources, batch, seq, d_model]: no pass is needed for that. */
    private SourceOutputs zeroSourceOutputs(Batch b) {
        Shape shape = new Shape(patcher.graph().nSources(), b.size(), b.length(), patcher.model().config().dModel());
        // the residual stream's type, which every source output has
        return SourceOutputs.zeros(manager, shape, patcher.model().weights().wE().getDataType());
    }

    /** A position-aware graph is defined for one prompt length: every example must have it. */
    private static void checkPositions(ComputationGraph graph, Task task) {
        if (!graph.isByPosition()) {
            return;
        }
        int length = task.commonLength("a position-aware graph");
        if (length != graph.positions()) {
            throw new IllegalArgumentException("task '" + task.name() + "': prompts of " + length + " tokens, but the "
                    + "position-aware graph has " + graph.positions() + " positions");
        }
    }

    /** Task metric of the unpatched model on the clean (or the corrupted) prompts. */
    private double unpatchedValue(boolean corrupted) {
        double sum = 0;
        for (PreparedBatch p : batches) {
            try (NDManager run = manager.newSubManager()) {
                NDArray logits = patcher.model().forward(run, corrupted ? p.batch().corrupt() : p.batch().clean(),
                        Hooks.none(), GradientRules.EXACT, p.batch().logitPositions());
                forwardPasses++;
                for (float v : metric.perTarget(logits, p.batch(), p.cleanLogProbs()).toFloatArray()) {
                    sum += v;
                }
            }
        }
        return sum / totalTargets;
    }

    public EdgePatcher patcher() {
        return patcher;
    }

    public ComputationGraph graph() {
        return patcher.graph();
    }

    public Task task() {
        return task;
    }

    public Metric metric() {
        return metric;
    }

    public Ablation ablation() {
        return ablation;
    }

    public List<PreparedBatch> batches() {
        return batches;
    }

    /** Metric of the unpatched model. */
    public double cleanValue() {
        return cleanValue;
    }

    /** Metric with every edge patched. */
    public double corruptedValue() {
        return corruptedValue;
    }

    /**
     * Forward passes without gradients run so far, for cost reports: patched passes, the unpatched ones of
     * preparation, and those a scorer reports with {@link #countForwardPass}. Gradient passes are counted apart
     * ({@link #gradientPasses}).
     */
    public long forwardPasses() {
        return forwardPasses;
    }

    /**
     * Gradient passes run so far, for cost reports: each is one forward and one backward pass over one batch,
     * counted where it reads the metric ({@link #metricShare}). Gradient scorers (EAP, EAP-IG, AtP, AtP*, RelP)
     * spend these; exact patching spends {@link #forwardPasses}.
     */
    public long gradientPasses() {
        return gradientPasses;
    }

    /**
     * Transformer layers computed by the patched passes so far (the {@code evaluate} methods, {@link #prefixes}
     * and the passes from them), once per mask and batch: a full pass of M masks computes M x nLayers, a prefix
     * at layer l computes l, and a pass of M masks from it M x (nLayers - l). For cost comparisons: sharing a
     * prefix saves layers, not passes, so {@link #forwardPasses} does not show it.
     */
    public long patchedLayers() {
        return patchedLayers;
    }

    /** Counts a forward pass without gradients that a scorer runs on the model itself, outside this patcher. */
    public void countForwardPass() {
        forwardPasses++;
    }

    /**
     * Metric for each keep-mask (true = edge keeps its own value), as many masks per pass as
     * {@link #masksPerPass()} allows.
     */
    public double[] evaluateKeep(List<boolean[]> keepMasks) {
        double[] out = new double[keepMasks.size()];
        int perPass = masksPerPass();
        for (int start = 0; start < keepMasks.size(); start += perPass) {
            List<boolean[]> part = keepMasks.subList(start, Math.min(keepMasks.size(), start + perPass));
            double[] values = evaluate(run -> patcher.coefficients(run, part));
            System.arraycopy(values, 0, out, start, values.length);
        }
        return out;
    }

    /**
     * How many masks one patched pass evaluates: as many as fit the pass budget for the
     * largest batch (at least one). Estimated per token as 12 floats for every layer, head, model
     * dimension and query/key/value input (GPT-2 small: 15.9 MB, measured 14 MB).
     */
    public int masksPerPass() {
        return masksPerPass;
    }

    private static int masksPerPass(ModelConfig c, List<PreparedBatch> batches, long passBudgetBytes) {
        long bytesPerToken = 12L * 4 * 3 * c.nLayers() * c.nHeads() * c.dModel();
        long tokensPerMask = 1;
        for (PreparedBatch p : batches) {
            tokensPerMask = Math.max(tokensPerMask, (long) p.batch().size() * p.batch().length());
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, passBudgetBytes / (bytesPerToken * tokensPerMask)));
    }

    public double evaluateKeep(boolean[] keep) {
        return evaluateKeep(List.of(keep))[0];
    }

    /** Metric for coefficient tensors [M, nSources, nDestinations] built per pass by {@code coefficients}. */
    public double[] evaluate(Function<NDManager, NDArray> coefficients) {
        double[][] perTarget = evaluatePerTarget(coefficients);
        double[] mean = new double[perTarget.length];
        for (int m = 0; m < perTarget.length; m++) {
            for (double v : perTarget[m]) {
                mean[m] += v;
            }
            mean[m] /= totalTargets;
        }
        return mean;
    }

    /**
     * Which prompt each target belongs to, in the order of per-target values (batch order): targets of one
     * prompt share its activations, so a resampling that treats them as independent understates the spread.
     */
    public int[] promptOfTarget() {
        int[] out = new int[totalTargets];
        int offset = 0;
        int prompts = 0;
        for (PreparedBatch p : batches) {
            int[] row = p.batch().row();
            for (int t = 0; t < row.length; t++) {
                out[offset + t] = prompts + row[t];
            }
            offset += row.length;
            prompts += p.batch().size();
        }
        return out;
    }

    /** Per-target metric values [M][T] over all targets of the task (batch order), for each keep-mask. */
    public double[][] evaluatePerTargetKeep(List<boolean[]> keepMasks) {
        double[][] out = new double[keepMasks.size()][];
        int perPass = masksPerPass();
        for (int start = 0; start < keepMasks.size(); start += perPass) {
            List<boolean[]> part = keepMasks.subList(start, Math.min(keepMasks.size(), start + perPass));
            double[][] values = evaluatePerTarget(run -> patcher.coefficients(run, part));
            System.arraycopy(values, 0, out, start, values.length);
        }
        return out;
    }

    /** Per-target metric values [M][T] for coefficient tensors built per pass by {@code coefficients}. */
    public double[][] evaluatePerTarget(Function<NDManager, NDArray> coefficients) {
        double[][] out = null;
        int offset = 0;
        for (PreparedBatch p : batches) {
            try (NDManager run = manager.newSubManager()) {
                NDArray c = coefficients.apply(run);
                NDArray logits = patcher.forward(run, p.batch().clean(), p.patched(), c, GradientRules.EXACT, List.of(),
                        p.batch().logitPositions());
                forwardPasses++;
                NDArray values = metric.perTarget(logits, p.batch(), p.cleanLogProbs());
                int variants = (int) values.getShape().get(0);
                patchedLayers += (long) variants * layers();
                int targets = (int) values.getShape().get(1);
                float[] flat = values.toFloatArray();
                if (out == null) {
                    out = new double[variants][totalTargets];
                }
                for (int m = 0; m < variants; m++) {
                    for (int t = 0; t < targets; t++) {
                        out[m][offset + t] = flat[m * targets + t];
                    }
                }
                offset += targets;
            }
        }
        return out;
    }

    /**
     * The shared start of every batch's passes under keep-mask {@code base} below {@code layer} (see
     * {@link EdgePatcher#prefix}); close it when done. Masks evaluated with it must agree with {@code base}
     * on every edge into a destination below {@code layer}.
     */
    public Prefixes prefixes(boolean[] base, int layer) {
        NDManager owner = manager.newSubManager();
        try {
            List<EdgePatcher.Prefix> perBatch = new ArrayList<>();
            for (PreparedBatch p : batches) {
                try (NDManager mask = owner.newSubManager()) { // the prefix keeps what it needs, not the mask
                    perBatch.add(patcher.prefix(owner, p.batch().clean(), p.patched(), patcher.coefficients(mask, base),
                            layer));
                }
                forwardPasses++;
                patchedLayers += layer;
            }
            return new Prefixes(layer, base.clone(), edgesBelow(layer), perBatch, owner);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    private int layers() {
        return patcher.model().config().nLayers();
    }

    /** Indices of the edges into destinations below {@code layer}: the ones a prefix fixes. */
    private int[] edgesBelow(int layer) {
        return graph().edges().stream().filter(e -> e.destination().node().layer() < layer).mapToInt(Edge::index).toArray();
    }

    /** Per-batch prefixes for one layer and base mask; frees them when closed. */
    public static final class Prefixes implements AutoCloseable {
        private final int layer;
        private final boolean[] base;
        private final int[] fixed; // edges the prefix computed with base's values
        private final List<EdgePatcher.Prefix> perBatch;
        private final NDManager owner;

        private Prefixes(int layer, boolean[] base, int[] fixed, List<EdgePatcher.Prefix> perBatch, NDManager owner) {
            this.layer = layer;
            this.base = base;
            this.fixed = fixed;
            this.perBatch = perBatch;
            this.owner = owner;
        }

        public int layer() {
            return layer;
        }

        @Override
        public void close() {
            owner.close();
        }
    }

    /**
     * Metric for each keep-mask, finishing every pass from {@code prefixes}: the same values as
     * {@link #evaluateKeep(List)} at a fraction of the cost when the layer is late.
     */
    public double[] evaluateKeep(Prefixes prefixes, List<boolean[]> keepMasks) {
        for (boolean[] keep : keepMasks) {
            for (int e : prefixes.fixed) {
                if (keep[e] != prefixes.base[e]) {
                    Edge edge = graph().edges().get(e);
                    throw new IllegalArgumentException("edge " + edge.name() + " into layer "
                            + edge.destination().node().layer() + " differs from the prefix's mask, which fixes every edge "
                            + "below layer " + prefixes.layer);
                }
            }
        }
        double[] sum = new double[keepMasks.size()];
        int perPass = masksPerPass();
        for (int start = 0; start < keepMasks.size(); start += perPass) {
            List<boolean[]> part = keepMasks.subList(start, Math.min(keepMasks.size(), start + perPass));
            for (int i = 0; i < batches.size(); i++) {
                PreparedBatch p = batches.get(i);
                try (NDManager run = manager.newSubManager()) {
                    NDArray logits = patcher.forwardFrom(run, prefixes.perBatch.get(i), p.patched(),
                            patcher.coefficients(run, part), p.batch().logitPositions());
                    forwardPasses++;
                    patchedLayers += (long) part.size() * (layers() - prefixes.layer);
                    NDArray values = metric.perTarget(logits, p.batch(), p.cleanLogProbs());
                    int targets = (int) values.getShape().get(1);
                    float[] v = values.toFloatArray();
                    for (int m = 0; m < part.size(); m++) {
                        for (int t = 0; t < targets; t++) {
                            sum[start + m] += v[m * targets + t];
                        }
                    }
                }
            }
        }
        for (int m = 0; m < sum.length; m++) {
            sum[m] /= totalTargets;
        }
        return sum;
    }

    /**
     * A batch's share of the task-level metric, {@code sum over its targets / all targets}, as a scalar
     * that keeps its gradient: summed over batches it is the task metric, so one backward pass per batch
     * accumulates the task metric's gradient. Each call is one gradient pass (a forward pass whose logits
     * these are, and the backward pass from this value), counted in {@link #gradientPasses}.
     */
    public NDArray metricShare(PreparedBatch p, NDArray logits) {
        gradientPasses++;
        return metric.perTarget(logits, p.batch(), p.cleanLogProbs()).sum()
                .div(io.circuitscope.core.Scalars.of(logits, totalTargets));
    }

    /** See {@link TaskEffect#NO_EFFECT_SHARE}; a faithfulness is a ratio over the clean-corrupted difference. */
    public static final double NO_EFFECT_SHARE = TaskEffect.NO_EFFECT_SHARE;

    /** Whether corrupting the task moves the metric measurably (see {@link #NO_EFFECT_SHARE}), so that faithfulness is defined. */
    public boolean hasEffect() {
        return TaskEffect.measurable(cleanValue, corruptedValue);
    }

    /**
     * Refuses a task whose corruption does not move the metric (see {@link #hasEffect()}): no circuit
     * carries a behaviour that is not there, and every faithfulness would be a ratio that round-off can decide.
     */
    public void requireEffect() {
        if (!hasEffect()) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "task '%s': the corrupted "
                    + "prompts barely change the metric %s (clean %.6g, corrupted %.6g: a difference below %.0e of the "
                    + "metric's scale, where float32 round-off is a sizeable share of it), so there is no behaviour "
                    + "to find a circuit for and faithfulness is undefined; check that the corruption changes what "
                    + "the model predicts at the targets",
                    task.name(), metric.name(), cleanValue, corruptedValue, NO_EFFECT_SHARE));
        }
    }

    /** Normalised faithfulness (m - m_corrupted) / (m_clean - m_corrupted). */
    public double normalized(double value) {
        return (value - corruptedValue) / (cleanValue - corruptedValue);
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
