package io.circuitscope.core.planted;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.circuitscope.core.DjlRuntime;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A transformer whose weights were written by a program so that a known circuit carries a task:
 * a ground truth for circuit discovery, in the spirit of tracr and InterpBench, but running through
 * the same {@link HookedTransformer} (GPT-2 architecture, normalisation off) as every other model.
 *
 * <p>Ground truth is defined <em>under the task's own corruption</em>: {@link #groundTruthEdges} are the
 * edges whose patching (with the corrupted prompt's source outputs) changes the default metric; every
 * other edge, and every node outside {@link #groundTruthNodes}, provably has no effect (distractors write
 * only into residual dimensions nothing downstream of them in the circuit, nor the unembedding, reads).
 * {@link #structuralEdges} is the larger set of edges the construction reads at all (the circuit under
 * zero ablation, tracr style); the difference are edges whose carried value the corruption leaves unchanged
 * (token positions, a constant feature, an "is a name" flag ...), documented per model.
 * {@link #meanAblationEdges} lie between the two: the edges whose value changes when replaced by its mean over
 * the corrupted prompts. A discovery run is scored against the set for its ablation
 * ({@link #groundTruthEdges(Ablation)}): each is the exact circuit under that ablation, so scoring a zero-ablation
 * run against the resample set would count correct edges as false positives.
 *
 * @param name              registry name
 * @param description       one line
 * @param weights           the planted weights
 * @param defaultMetric     metric the ground truth is defined for
 * @param groundTruthNodes  EAP-IG node names (input, a{l}.h{h}, m{l}, logits) on the circuit
 * @param groundTruthEdges  EAP-IG edge names whose patching matters under the task's corruption
 * @param structuralEdges   every edge the construction uses (superset of the ground truth); the circuit under zero
 *                          ablation
 * @param meanAblationEdges edge names whose patching matters under mean ablation (the mean over the task's
 *                          corrupted prompts); a subset of the structural edges
 * @param generator         seeded task generator
 * @param vocabulary        token strings by id (documentation; there is no tokenizer)
 */
public record PlantedModel(
        String name,
        String description,
        PlantedWeights weights,
        Metric defaultMetric,
        Set<String> groundTruthNodes,
        Set<String> groundTruthEdges,
        Set<String> structuralEdges,
        Set<String> meanAblationEdges,
        TaskGenerator generator,
        List<String> vocabulary) {

    /** Seeded generator of clean/corrupted prompt pairs with targets. */
    @FunctionalInterface
    public interface TaskGenerator {
        Task generate(long seed, int examples);
    }

    public PlantedModel {
        vocabulary = List.copyOf(vocabulary);
        ComputationGraph g = ComputationGraph.of(weights.config());
        for (String n : groundTruthNodes) {
            g.node(n);
        }
        for (String e : structuralEdges) {
            g.edge(e);
        }
        requireInCircuit(g, groundTruthEdges, structuralEdges, groundTruthNodes, "ground-truth");
        requireInCircuit(g, meanAblationEdges, structuralEdges, groundTruthNodes, "mean-ablation");
        if (vocabulary.size() != weights.config().vocabSize()) {
            throw new IllegalArgumentException("vocabulary has " + vocabulary.size() + " entries, config "
                    + weights.config().vocabSize());
        }
        // in graph order, not Set.copyOf's, which changes from one JVM run to the next: these names reach files
        // (the roles section of circuit.json) that two runs of the same command should write alike
        groundTruthNodes = inGraphOrder(groundTruthNodes, g.nodes().stream().map(Node::name).toList());
        groundTruthEdges = inGraphOrder(groundTruthEdges, g.edges().stream().map(Edge::name).toList());
        structuralEdges = inGraphOrder(structuralEdges, g.edges().stream().map(Edge::name).toList());
        meanAblationEdges = inGraphOrder(meanAblationEdges, g.edges().stream().map(Edge::name).toList());
    }

    /** Each of {@code edges} is in the graph, a structural edge, and joins ground-truth nodes. */
    private static void requireInCircuit(ComputationGraph g, Set<String> edges, Set<String> structural,
            Set<String> nodes, String what) {
        for (String e : edges) {
            g.edge(e);
            if (!structural.contains(e)) {
                throw new IllegalArgumentException(what + " edge " + e + " is not a structural edge");
            }
            String[] ends = e.split("->");
            String dst = ends[1].replaceAll("<.>$", "");
            if (!nodes.contains(ends[0]) || !nodes.contains(dst)) {
                throw new IllegalArgumentException(what + " edge " + e + " leaves the ground-truth nodes");
            }
        }
    }

    /**
     * The edges whose patching matters under {@code ablation}: the circuit a discovery run with that ablation should
     * find, on this model's own task (the truths assume its corruption).
     */
    public Set<String> groundTruthEdges(Ablation ablation) {
        return switch (ablation) {
            case RESAMPLE -> groundTruthEdges;
            case MEAN -> meanAblationEdges;
            case ZERO -> structuralEdges;
        };
    }

    /** The names of {@code names} (all in {@code graphOrder}) as an unmodifiable set iterating in graph order. */
    private static Set<String> inGraphOrder(Set<String> names, List<String> graphOrder) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(graphOrder.stream().filter(names::contains).toList()));
    }

    public ModelConfig config() {
        return weights.config();
    }

    /** The model with its weights in a new sub-manager of {@code parent} (closed with the model). */
    public HookedTransformer build(NDManager parent) {
        NDManager manager = parent.newSubManager();
        return new HookedTransformer(config(), weights.toModelWeights(manager));
    }

    /** The model owning a new root manager; close the model to free it. */
    public HookedTransformer build() {
        NDManager manager = DjlRuntime.newManager();
        try {
            return new HookedTransformer(config(), weights.toModelWeights(manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** A Hugging Face GPT-2 checkpoint directory (config.json + model.safetensors) that ModelLoader reads. */
    public Path writeCheckpoint(Path dir) throws IOException {
        Map<String, Object> extra = new LinkedHashMap<>(); // in this order in config.json, every time
        extra.put("circuitscope_planted", name);
        extra.put("circuitscope_vocabulary", vocabulary);
        return weights.writeCheckpoint(dir, extra);
    }

    /**
     * The checkpoint plus {@code task.jsonl} (id form, {@link TaskFile}) and {@code ground_truth.json}
     * (model, metric, nodes, edges, structural edges, mean-ablation edges, sorted), so command-line runs and benchmarks can
     * score a discovered circuit against the planted one.
     */
    public Path writeBundle(Path dir, long seed, int examples) throws IOException {
        writeCheckpoint(dir);
        TaskFile.write(dir.resolve("task.jsonl"), task(seed, examples));
        Map<String, Object> truth = new LinkedHashMap<>();
        truth.put("model", name);
        truth.put("description", description);
        truth.put("metric", defaultMetric.name());
        truth.put("seed", seed);
        truth.put("nodes", new TreeSet<>(groundTruthNodes));
        truth.put("edges", new TreeSet<>(groundTruthEdges));
        truth.put("structural_edges", new TreeSet<>(structuralEdges));
        truth.put("mean_ablation_edges", new TreeSet<>(meanAblationEdges));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("ground_truth.json").toFile(), truth);
        return dir;
    }

    public Task task(long seed, int examples) {
        return generator.generate(seed, examples);
    }

    /** Heads and MLPs outside the circuit. */
    public Set<String> distractorNodes() {
        Set<String> out = new LinkedHashSet<>();
        for (Node n : ComputationGraph.of(config()).sources()) {
            if (n.kind() != NodeKind.INPUT && !groundTruthNodes.contains(n.name())) {
                out.add(n.name());
            }
        }
        return out;
    }
}
