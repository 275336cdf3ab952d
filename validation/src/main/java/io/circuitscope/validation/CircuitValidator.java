package io.circuitscope.validation;

import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.PrefixedEvaluation;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Tests a circuit's claim on a task: faithfulness and sufficiency (everything outside patched),
 * necessity (the circuit patched, the rest kept), minimality (every edge and node must matter), and
 * completeness as in Wang et al. (the circuit and the full model respond alike to knocking out the
 * same node subsets). Judges any circuit, whoever found it. Several masks run per forward pass.
 *
 * <p>Each minimality mask is the circuit with one component removed, so nothing below that component's layer
 * changes: as ACDC's trials, the masks of one layer run from one shared pass of the circuit up to that layer
 * ({@link TaskPatcher#prefixes}), each only from there on: a component of layer l computes the layers from l
 * on, and the layers below l once per layer and batch, where a full pass per mask computed them all. When every
 * mask fits one pass's memory budget (small models), full passes are kept, each computing every layer once for up
 * to {@link PrefixedEvaluation#MASKS_PER_PASS} masks. {@link PrefixedEvaluation} does this, for discovery's
 * false-negative check too.
 */
public final class CircuitValidator {
    private final ValidationSettings settings;
    private final boolean shareComputation;

    public CircuitValidator(ValidationSettings settings) {
        this(settings, true);
    }

    /**
     * @param shareComputation false runs every minimality mask as a full patched pass (the same values up to
     *                         float rounding; for cost comparisons)
     */
    public CircuitValidator(ValidationSettings settings, boolean shareComputation) {
        this.settings = settings;
        this.shareComputation = shareComputation;
    }

    /** Refuses a task whose corruption does not move the metric: every faithfulness would be undefined. */
    public ValidationReport validate(TaskPatcher task, Circuit circuit, Progress progress) {
        task.requireEffect();
        ComputationGraph g = task.graph();
        long passesBefore = task.forwardPasses();
        boolean[] keep = circuit.keepMask();
        boolean[] full = new boolean[g.nEdges()];
        java.util.Arrays.fill(full, true);
        boolean[] complement = new boolean[g.nEdges()];
        for (int i = 0; i < keep.length; i++) {
            complement[i] = !keep[i];
        }
        progress.start("validating the circuit", 3); // base passes, minimality, completeness
        double[][] base = task.evaluatePerTargetKeep(List.of(full, new boolean[g.nEdges()], keep, complement));
        double[] mFull = base[0];
        double[] mEmpty = base[1];
        double[] mCircuit = base[2];
        double[] mComplement = base[3];
        double fullMean = Bootstrap.mean(mFull, identity(mFull.length));
        double emptyMean = Bootstrap.mean(mEmpty, identity(mEmpty.length));
        // resampled by prompt: a prompt's several targets (induction) share its activations
        int[] prompts = task.promptOfTarget();
        Estimate faithfulness = Bootstrap.estimateClustered(prompts, idx -> normalized(mCircuit, mFull, mEmpty, idx),
                settings.bootstrapSamples(), settings.confidence(), settings.seed());
        Estimate complementFaithfulness = Bootstrap.estimateClustered(prompts,
                idx -> normalized(mComplement, mFull, mEmpty, idx), settings.bootstrapSamples(), settings.confidence(),
                settings.seed()); // the same resamples as faithfulness: related quantities move together
        // how far the clean-corrupted gap itself moves across resamples: every faithfulness divides by it
        double fullGap = fullMean - emptyMean;
        Estimate gapShare = Bootstrap.estimateClustered(prompts,
                idx -> (Bootstrap.mean(mFull, idx) - Bootstrap.mean(mEmpty, idx)) / fullGap, settings.bootstrapSamples(),
                settings.confidence(), settings.seed());
        progress.advance(1, task.forwardPasses() - passesBefore);

        List<ValidationReport.ComponentScore> components = minimality(task, circuit, faithfulness.value(),
                v -> (v - emptyMean) / (fullMean - emptyMean));
        progress.advance(2, task.forwardPasses() - passesBefore);

        double[] incompleteness = completeness(task, circuit);
        // no subsets (completeness samples 0): not measured, NaN (null in circuit.json), never a perfect 0
        double maxIncomplete = incompleteness.length == 0 ? Double.NaN : 0;
        for (double v : incompleteness) {
            maxIncomplete = Math.max(maxIncomplete, v);
        }
        Estimate meanIncomplete = incompleteness.length == 0 ? Estimate.point(Double.NaN)
                : Bootstrap.estimate(incompleteness.length, idx -> Bootstrap.mean(incompleteness, idx),
                        settings.bootstrapSamples(), settings.confidence(), settings.seed() + 2);
        // the completeness passes counted too: the bar's total is the report's forward_passes
        progress.advance(3, task.forwardPasses() - passesBefore);
        progress.finish();
        return new ValidationReport(task.cleanValue(), task.corruptedValue(), gapShare, faithfulness, complementFaithfulness,
                faithfulness.value() >= settings.sufficiencyThreshold(),
                complementFaithfulness.value() <= settings.necessityThreshold(), components, meanIncomplete,
                maxIncomplete, settings, task.forwardPasses() - passesBefore);
    }

    private static int[] identity(int n) {
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    static double normalized(double[] m, double[] full, double[] empty, int[] idx) {
        double c = Bootstrap.mean(m, idx);
        double f = Bootstrap.mean(full, idx);
        double e = Bootstrap.mean(empty, idx);
        // a resample whose clean and corrupted means agree (accuracy on a few prompts) has no faithfulness: NaN, which
        // the bootstrap leaves out, not the +-Infinity that c - e over a zero gap made and that set an interval's end
        return f == e ? Double.NaN : (c - e) / (f - e);
    }

    /**
     * Minimality score of every edge and node: f(C) - f(C without it), signed. A component is minimal when
     * that change is large in either direction, as in Wang et al.'s |F(C \ K) - F(C \ (K + v))| with
     * K empty: a component that works against the behaviour (a negative name mover, whose removal raises
     * faithfulness) is as much a part of the mechanism as one that carries it.
     */
    private List<ValidationReport.ComponentScore> minimality(TaskPatcher task, Circuit circuit, double f,
            java.util.function.DoubleUnaryOperator normalized) {
        List<String> names = new ArrayList<>();
        List<Boolean> isNode = new ArrayList<>();
        boolean[] keep = circuit.keepMask();
        List<Edge> edges = circuit.edges();
        List<Node> nodes = new ArrayList<>();
        List<Integer> firstLayer = new ArrayList<>(); // the first layer whose inputs the removal changes
        for (Edge e : edges) {
            names.add(e.name());
            isNode.add(false);
            firstLayer.add(PrefixedEvaluation.firstLayer(e));
        }
        for (Node n : circuit.nodes()) {
            if (!n.isSource() || n.name().equals("input")) {
                continue;
            }
            nodes.add(n);
            names.add(n.name());
            isNode.add(true);
            firstLayer.add(n.layer()); // its in-edges enter its layer, its out-edges that layer or later ones
        }
        // built per chunk: one full-length mask per circuit edge at once is edges x graph edges of memory
        java.util.function.IntFunction<boolean[]> mask = i -> {
            if (i < edges.size()) {
                boolean[] m = keep.clone();
                m[edges.get(i).index()] = false;
                return m;
            }
            return withoutNodes(circuit, keep, java.util.Set.of(nodes.get(i - edges.size())));
        };
        // from the circuit's prefix at each layer, unless every mask fits one pass's budget (see PrefixedEvaluation)
        double[] values = PrefixedEvaluation.evaluate(task, keep, firstLayer.stream().mapToInt(Integer::intValue).toArray(),
                mask, shareComputation, done -> {
                });
        List<ValidationReport.ComponentScore> out = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            // normalised by the same patched all-kept and all-patched passes as f, so round-off cannot differ
            double change = f - normalized.applyAsDouble(values[i]);
            out.add(new ValidationReport.ComponentScore(names.get(i), isNode.get(i), change,
                    Math.abs(change) >= settings.minimalityThreshold()));
        }
        return out;
    }

    /** Edges of {@code keep} minus every edge leaving or entering one of {@code nodes}. */
    private static boolean[] withoutNodes(Circuit circuit, boolean[] keep, java.util.Set<Node> nodes) {
        boolean[] m = keep.clone();
        for (Edge e : circuit.graph().edges()) {
            if (nodes.contains(e.source()) || nodes.contains(e.destination().node())) {
                m[e.index()] = false;
            }
        }
        return m;
    }

    /**
     * |F(C \ K) - F(M \ K)| / |gap| for random subsets K of the circuit's nodes (each node in K with p = 1/2); none
     * when no subset is to be drawn. A circuit without heads or MLPs (an empty one) has only K = {}, whose value
     * |F(C) - F(M)| is no 0: the empty circuit is as incomplete as can be.
     */
    private double[] completeness(TaskPatcher task, Circuit circuit) {
        List<Node> candidates = circuit.nodes().stream().filter(n -> n.isSource() && !n.name().equals("input")).toList();
        int samples = settings.completenessSamples();
        if (samples == 0) {
            return new double[0];
        }
        Random rng = new Random(settings.seed() + 17);
        boolean[] keep = circuit.keepMask();
        boolean[] full = new boolean[keep.length];
        java.util.Arrays.fill(full, true);
        Circuit fullCircuit = Circuit.full(task.graph());
        List<java.util.Set<Node>> knockedSets = new ArrayList<>();
        // without candidates every sample is K = {}: one pair of masks gives them all
        int distinct = candidates.isEmpty() ? 1 : samples;
        for (int s = 0; s < distinct; s++) {
            java.util.Set<Node> knocked = new java.util.HashSet<>();
            for (Node n : candidates) {
                if (rng.nextBoolean()) {
                    knocked.add(n);
                }
            }
            knockedSets.add(knocked);
        }
        // even indices: the circuit without K; odd: the full model without K
        double[] values = PrefixedEvaluation.inChunks(task, 2 * knockedSets.size(),
                i -> i % 2 == 0 ? outEdgesRemoved(circuit, keep, knockedSets.get(i / 2))
                        : outEdgesRemoved(fullCircuit, full, knockedSets.get(i / 2)));
        double gap = Math.abs(task.cleanValue() - task.corruptedValue());
        double[] out = new double[samples];
        for (int s = 0; s < out.length; s++) {
            int k = s % distinct;
            out[s] = Math.abs(values[2 * k] - values[2 * k + 1]) / gap;
        }
        return out;
    }

    private static boolean[] outEdgesRemoved(Circuit c, boolean[] keep, java.util.Set<Node> nodes) {
        boolean[] m = keep.clone();
        for (Edge e : c.graph().edges()) {
            if (nodes.contains(e.source())) {
                m[e.index()] = false;
            }
        }
        return m;
    }
}
