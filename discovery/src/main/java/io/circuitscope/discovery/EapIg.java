package io.circuitscope.discovery;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import java.util.List;

/**
 * EAP with integrated gradients (Hanna et al. 2024): the gradient is averaged over {@code steps}
 * points of a straight path from the patched run (0) to the clean run (1), and multiplied by each
 * source's clean-minus-patched difference. Two paths, each at the points the authors' code uses:
 * <ul>
 * <li>{@link Interpolation#ACTIVATIONS} ({@code eap-ig}): every edge coefficient at once, so every
 * node's output is interpolated between its patched and clean value where it joins the residual stream
 * ({@link EdgeGradients#alongStraightPath}), at k / steps, k = 1..steps (the paper's equation 3). By
 * completeness the edge scores sum to about m(corrupted) - m(clean). With one step this is EAP.</li>
 * <li>{@link Interpolation#INPUTS} ({@code eap-ig-inputs}, the EAP-IG authors' default, {@code EAP-IG-inputs}
 * in their code and in MIB): only the input embedding is interpolated and the model computes everything
 * else from it ({@link EdgeGradients#alongInputPath}), at k / steps, k = 0..steps-1: their code's points
 * (hannamw/EAP-IG, {@code get_scores_eap_ig}), which start at the patched end, so that scores compare with
 * theirs step for step. By completeness the embedding's out-edges sum to about m(corrupted) - m(clean);
 * one extra forward pass per batch gives the clean differences.</li>
 * </ul>
 * The steps of a batch run as one batched forward and one backward pass, as many steps per pass as fit a
 * memory budget.
 */
public final class EapIg implements EdgeScorer {
    /** What moves along the straight path between the patched and the clean run. */
    public enum Interpolation {
        /** Every node's output (every edge coefficient). */
        ACTIVATIONS("eap-ig"),
        /** The input embedding alone. */
        INPUTS("eap-ig-inputs");

        private final String key;

        Interpolation(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    private final int steps;
    private final Interpolation interpolation;
    private final long passBudgetBytes;

    /** EAP-IG over every node's output ({@link Interpolation#ACTIVATIONS}). */
    public EapIg(int steps) {
        this(steps, Interpolation.ACTIVATIONS);
    }

    public EapIg(int steps, Interpolation interpolation) {
        this(steps, interpolation, PASS_BUDGET_BYTES);
    }

    /**
     * As above, with {@code passBudgetBytes} instead of {@link #PASS_BUDGET_BYTES} for each batched pass (1: one
     * step per pass, what a large model gets; tests and benchmarks take that path on small models).
     */
    public EapIg(int steps, Interpolation interpolation, long passBudgetBytes) {
        if (steps < 1) {
            throw new IllegalArgumentException("EAP-IG needs at least one step, got " + steps);
        }
        if (passBudgetBytes < 1) {
            throw new IllegalArgumentException("the pass budget must be positive, got " + passBudgetBytes);
        }
        this.steps = steps;
        this.interpolation = java.util.Objects.requireNonNull(interpolation, "interpolation");
        this.passBudgetBytes = passBudgetBytes;
    }

    public int steps() {
        return steps;
    }

    @Override
    public String key() {
        return interpolation.key();
    }

    /** One step of {@code eap-ig} is EAP, a gradient at the clean run; {@code eap-ig-inputs} starts at the patched end. */
    @Override
    public boolean differentiatesAtClean() {
        return interpolation == Interpolation.ACTIVATIONS && steps == 1;
    }

    /** Native memory a gradient pass keeps per token, measured on GPT-2 small (about 21 MB per token there). */
    static long bytesPerToken(ModelConfig c) {
        return 48L * c.nLayers() * c.nHeads() * c.dModel() * Float.BYTES;
    }

    /** Budget of one batched pass; steps beyond it run in further passes (GPT-2 small, 20 x 15 tokens: one each). */
    static final long PASS_BUDGET_BYTES = 3L << 30;

    /** How many steps share one pass, so that a pass stays within the pass budget ({@link #PASS_BUDGET_BYTES}). */
    int stepsPerPass(TaskPatcher task) {
        long tokens = 1;
        for (TaskPatcher.PreparedBatch p : task.batches()) {
            tokens = Math.max(tokens, (long) p.batch().size() * p.batch().length());
        }
        long fit = passBudgetBytes / (tokens * bytesPerToken(task.graph().config()));
        return (int) Math.max(1, Math.min(steps, fit));
    }

    @Override
    public EdgeScores score(TaskPatcher task, Progress progress) {
        requireDefinedPath(task);
        progress.start("scoring edges (" + key() + ", " + steps + " steps)", task.batches().size());
        StagePasses passes = StagePasses.from(task);
        int perPass = stepsPerPass(task);
        double[] grad = interpolation == Interpolation.INPUTS ? EdgeGradients.alongInputPath(task, alphas(0, steps), perPass)
                : alongNodeOutputs(task, perPass);
        for (int i = 0; i < grad.length; i++) {
            grad[i] = -grad[i] / steps;
        }
        passes.advance(progress, task.batches().size());
        progress.finish();
        return new EdgeScores(task.graph(), grad);
    }

    /**
     * Refuses EAP-IG under zero ablation on a model that normalises ({@link #whyUndefined}), before any pass.
     */
    void requireDefinedPath(TaskPatcher task) {
        String why = whyUndefined(key(), steps, task.ablation(), task.graph().config());
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
    }

    /**
     * Why EAP-IG ({@code scorerKey} eap-ig or eap-ig-inputs) cannot be computed under {@code ablation} on a model of
     * {@code config}, or null when it can. Under zero ablation the straight path starts from an all-zero residual
     * stream; a model that normalises is then nearly scale-invariant along it, so the metric changes almost wholly
     * near that end. eap-ig's points (k / steps, k = 1..steps) never look there: on the 3-layer IOI toy its scores
     * summed to 7% of the effect (93% off; 34% under resampling, 2% under mean ablation). eap-ig-inputs' first point
     * is the zero embedding itself, where every normalisation's slope is about 1/sqrt(eps): scores of 1e11 on
     * stories260K. More steps do not cure either in practice. A model without normalisation has no such end, and
     * eap-ig with one step is EAP, a gradient at the clean run.
     */
    public static String whyUndefined(String scorerKey, int steps, io.circuitscope.core.graph.Ablation ablation,
            ModelConfig config) {
        boolean activations = scorerKey.equals(Interpolation.ACTIVATIONS.key());
        boolean eapIg = activations || scorerKey.equals(Interpolation.INPUTS.key());
        if (!eapIg || (activations && steps == 1) || ablation != io.circuitscope.core.graph.Ablation.ZERO
                || config.normType() == io.circuitscope.core.model.NormType.NONE) {
            return null;
        }
        return scorerKey + " under zero ablation integrates from an all-zero residual stream, and this model "
                + "normalises: along that path it is nearly scale-invariant, so the metric changes almost wholly next "
                + "to the zero end, which " + (scorerKey.equals(Interpolation.INPUTS.key())
                        ? "is eap-ig-inputs' first point, where the normalisation's slope is about 1/sqrt(eps) (scores "
                                + "of 1e11 on stories260K)"
                        : "eap-ig's points never reach (its scores summed to 7% of the effect on the IOI toy)")
                + "; no practical number of steps fixes that. Use eap, atp-star or relp (gradients at the clean run), "
                + "or EAP-IG under resample or mean ablation";
    }

    /**
     * How far the scores are from what integrated gradients must sum to: m(corrupted) - m(clean), the sum of
     * every edge's score ({@link Interpolation#ACTIVATIONS}) or of the embedding's out-edges
     * ({@link Interpolation#INPUTS}). The gap closes as the steps grow; a large one says the path is too
     * curved for {@code steps} points and the scores are rough.
     */
    public Completeness completeness(TaskPatcher task, EdgeScores scores) {
        double sum = 0;
        for (io.circuitscope.core.graph.Edge e : task.graph().edges()) {
            if (interpolation == Interpolation.ACTIVATIONS || e.source().sourceIndex() == 0) {
                sum += scores.get(e.index());
            }
        }
        return new Completeness(interpolation == Interpolation.INPUTS ? "input out-edges" : "all edges", sum,
                task.corruptedValue() - task.cleanValue(), steps);
    }

    /** Which scores were summed, the sum integrated gradients reached, the gap it should reach, and in how many steps. */
    public record Completeness(String summed, double sum, double gap, int steps) {
        /** |sum - gap| / |gap|. */
        public double relativeError() {
            return Math.abs(sum - gap) / Math.abs(gap);
        }
    }

    /** The summed gradients with every node's output interpolated, {@code perPass} steps per batched pass. */
    private double[] alongNodeOutputs(TaskPatcher task, int perPass) {
        double[] grad = new double[task.graph().nEdges()];
        for (int first = 1; first <= steps; first += perPass) {
            double[] part = EdgeGradients.alongStraightPath(task, alphas(first, Math.min(perPass, steps - first + 1)),
                    GradientRules.EXACT, List.of());
            for (int i = 0; i < grad.length; i++) {
                grad[i] += part[i];
            }
        }
        return grad;
    }

    /** Path points first / steps, (first + 1) / steps, ..., {@code count} of them. */
    private float[] alphas(int first, int count) {
        float[] alphas = new float[count];
        for (int k = 0; k < count; k++) {
            alphas[k] = (float) (first + k) / steps;
        }
        return alphas;
    }
}
