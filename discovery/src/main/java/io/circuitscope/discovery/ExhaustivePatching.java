package io.circuitscope.discovery;

import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * Exact activation patching of every edge on its own: {@code m(only e patched) - m(clean)}. The
 * ground truth the cheap scorers are measured against; {@code variantsPerPass} patched copies of
 * the batch run in each forward pass. Patching an edge into layer l changes nothing below l, so the
 * clean pass up to l is computed once per layer ({@link TaskPatcher#prefixes}) and every trial runs
 * from there, as in ACDC.
 */
public final class ExhaustivePatching implements EdgeScorer {
    private final int variantsPerPass;
    private final EffectsJournal journal;

    @Override
    public boolean usesGradients() {
        return false;
    }

    public ExhaustivePatching(int variantsPerPass) {
        this(variantsPerPass, EffectsJournal.NONE);
    }

    private ExhaustivePatching(int variantsPerPass, EffectsJournal journal) {
        this.variantsPerPass = Math.max(1, variantsPerPass);
        this.journal = journal;
    }

    /**
     * The same patching, going on from the effects {@code journal} holds and recording them there after every
     * destination layer: a layer is recorded whole, so a resumed run patches the missing layers in the same passes,
     * to the same effects, as an uninterrupted one.
     */
    public ExhaustivePatching withJournal(EffectsJournal journal) {
        return new ExhaustivePatching(variantsPerPass, journal);
    }

    @Override
    public String key() {
        return "exact";
    }

    @Override
    public EdgeScores score(TaskPatcher task, Progress progress) {
        int n = task.graph().nEdges();
        double[] known = journal.resume(n);
        if (known == null) {
            return scoreOnly(task, IntStream.range(0, n).toArray(), progress);
        }
        if (known.length != n) {
            throw new IllegalArgumentException("the journal's effects are of " + known.length + " edges, the graph has " + n);
        }
        double[] effects = known.clone();
        int[] missing = IntStream.range(0, n).filter(e -> Double.isNaN(effects[e])).toArray();
        scoreInto(task, missing, effects, progress, () -> journal.record(effects.clone()));
        return new EdgeScores(task.graph(), effects);
    }

    /**
     * Exact effects of the given edges only; every other edge is unscored (NaN). A uniform sample of
     * a large graph's edges estimates how well a scorer correlates with exact patching at a fraction
     * of the cost (GPT-2 small has 32,491 edges).
     */
    public EdgeScores scoreOnly(TaskPatcher task, int[] edges, Progress progress) {
        double[] scores = new double[task.graph().nEdges()];
        java.util.Arrays.fill(scores, Double.NaN);
        scoreInto(task, edges, scores, progress, () -> journal.record(scores.clone()));
        return new EdgeScores(task.graph(), scores);
    }

    /**
     * Writes the exact effect of each given edge into {@code into} (indexed by edge), calling
     * {@code afterEachLayer} whenever the edges into one destination layer are done, so a long run
     * can save what it has (a GPT-2-small layer of a 2,000-edge sample takes about two minutes).
     */
    public void scoreInto(TaskPatcher task, int[] edges, double[] into, Progress progress, Runnable afterEachLayer) {
        ComputationGraph g = task.graph();
        int n = g.nEdges();
        if (into.length != n) {
            throw new IllegalArgumentException("need room for " + n + " edge effects, got " + into.length);
        }
        progress.start(edges.length == n ? "exact patching of every edge"
                : "exact patching of " + edges.length + " of " + n + " edges", edges.length);
        long passesBefore = task.forwardPasses();
        int done = 0;
        for (List<Integer> intoLayer : byDestinationLayer(g, edges)) {
            double[] effects = effects(task, intoLayer.size(), i -> allBut(n, List.of(intoLayer.get(i))),
                    g.edges().get(intoLayer.get(0)).destination().node().layer());
            for (int i = 0; i < effects.length; i++) {
                into[intoLayer.get(i)] = effects[i];
            }
            afterEachLayer.run();
            done += intoLayer.size();
            progress.advance(done, task.forwardPasses() - passesBefore);
        }
        progress.finish();
    }

    /**
     * Exact effect of each source node, {@code m(all its out-edges patched) - m(clean)}, indexed by
     * source (the input at 0): the ground truth for node scores.
     */
    public double[] nodeEffects(TaskPatcher task) {
        ComputationGraph g = task.graph();
        double[] effects = new double[g.nSources()];
        List<List<Integer>> outEdges = new ArrayList<>();
        for (int s = 0; s < g.nSources(); s++) {
            outEdges.add(new ArrayList<>());
        }
        for (Edge e : g.edges()) {
            outEdges.get(e.source().sourceIndex()).add(e.index());
        }
        Map<Integer, List<Node>> byLayer = new TreeMap<>();
        for (Node source : g.sources()) {
            byLayer.computeIfAbsent(Math.max(0, source.layer()), k -> new ArrayList<>()).add(source);
        }
        for (Map.Entry<Integer, List<Node>> layer : byLayer.entrySet()) {
            List<Node> sources = layer.getValue();
            // a node's out-edges go into its own layer (a head into that layer's MLP) or later ones
            double[] values = effects(task, sources.size(),
                    i -> allBut(g.nEdges(), outEdges.get(sources.get(i).sourceIndex())), layer.getKey());
            for (int i = 0; i < values.length; i++) {
                effects[layer.getValue().get(i).sourceIndex()] = values[i];
            }
        }
        return effects;
    }

    /**
     * m(mask i) - m(clean) for masks 0..count-1, each keeping every edge into a destination below {@code layer}.
     * Each pass's masks are built just before it: a layer's all at once would hold (its edges) x (all edges)
     * booleans, which grows with the square of the graph (GPT-2 small by position: tens of GB).
     */
    double[] effects(TaskPatcher task, int count, IntFunction<boolean[]> mask, int layer) {
        double[] out = new double[count];
        boolean[] clean = allBut(task.graph().nEdges(), List.of());
        try (TaskPatcher.Prefixes prefixes = layer > 0 ? task.prefixes(clean, layer) : null) {
            for (int start = 0; start < count; start += variantsPerPass) {
                List<boolean[]> chunk = new ArrayList<>();
                for (int i = start; i < Math.min(count, start + variantsPerPass); i++) {
                    chunk.add(mask.apply(i));
                }
                double[] values = prefixes == null ? task.evaluateKeep(chunk) : task.evaluateKeep(prefixes, chunk);
                for (int i = 0; i < values.length; i++) {
                    out[start + i] = values[i] - task.cleanValue();
                }
            }
        }
        return out;
    }

    /** The given edges grouped by the layer of their destination (the logits last), in layer order. */
    private static List<List<Integer>> byDestinationLayer(ComputationGraph g, int[] edges) {
        Map<Integer, List<Integer>> groups = new TreeMap<>();
        for (int e : edges) {
            if (e < 0 || e >= g.nEdges()) {
                throw new IllegalArgumentException("no edge " + e + " in a graph of " + g.nEdges() + " edges");
            }
            groups.computeIfAbsent(g.edges().get(e).destination().node().layer(), k -> new ArrayList<>()).add(e);
        }
        return new ArrayList<>(groups.values());
    }

    private static boolean[] allBut(int edges, List<Integer> patched) {
        boolean[] keep = new boolean[edges];
        java.util.Arrays.fill(keep, true);
        for (int e : patched) {
            keep[e] = false;
        }
        return keep;
    }
}
