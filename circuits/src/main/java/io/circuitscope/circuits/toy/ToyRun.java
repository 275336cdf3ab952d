package io.circuitscope.circuits.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.io.Provenance;
import io.circuitscope.core.Hashes;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.discovery.ExhaustivePatching;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code train-toy}: trains a toy model, saves it as a Hugging Face checkpoint with its task, and
 * finds its reference circuit by exact patching of every edge.
 *
 * <p>Reference circuit rule ({@link FaithfulTopK}): edges are ranked by |exact effect| (logit
 * difference, resample ablation with the task's corrupted prompts); {@code in_graph} is the smallest
 * top k whose faithfulness reaches {@value FaithfulTopK#TARGET}.
 */
public final class ToyRun {
    /**
     * Examples in DIR/task.jsonl (induction: 7 to 15 targets each, one per position of the repeated segment's second
     * copy but its last, {@link ToyTask#INDUCTION_MIN_REPEAT} - 1 to {@link ToyTask#INDUCTION_MAX_REPEAT} - 1; IOI:
     * one, at the last position).
     */
    public static final int INDUCTION_EXAMPLES = 60;
    public static final int IOI_EXAMPLES = 120;
    /**
     * The induction check: the best induction head (any layer after the first) and the best previous-token head of
     * the layers before it must be the top this-many component nodes by |exact node effect|.
     */
    public static final int TOP_HEAD_NODES = 2;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Per-head attention-pattern scores on the task's clean prompts, [layer][head]. */
    public record HeadScores(double[][] previousToken, double[][] induction) {
        /** The scores by their key in reference_circuit.json. */
        public Map<String, double[][]> columns() {
            Map<String, double[][]> c = new LinkedHashMap<>();
            c.put("previous_token", previousToken);
            c.put("induction", induction);
            return c;
        }

        /** The head with the best induction score in any layer after the first, as {layer, head}. */
        public int[] inductionHead() {
            return argmax(induction, 1, induction.length);
        }

        /**
         * The head with the best previous-token score in the layers before {@link #inductionHead()}'s (the ones
         * whose output it can read), as {layer, head}.
         */
        public int[] previousTokenHead() {
            return argmax(previousToken, 0, inductionHead()[0]);
        }

        /** {layer, head} of the largest score in layers [from, to). */
        private static int[] argmax(double[][] scores, int from, int to) {
            if (from >= to) {
                throw new IllegalArgumentException("no layer in [" + from + ", " + to + ") of a " + scores.length
                        + "-layer model: the induction heads' search needs at least 2 layers");
            }
            int[] best = {from, 0};
            for (int l = from; l < to; l++) {
                for (int h = 0; h < scores[l].length; h++) {
                    if (scores[l][h] > scores[best[0]][best[1]]) {
                        best = new int[] {l, h};
                    }
                }
            }
            return best;
        }
    }

    /** What a run produced. */
    public record Outcome(ToyTrainer.Result training, ToyTrainer.Evaluation evaluation, Task task,
            EdgeScores exact, double[] nodeEffects, Circuit reference, double referenceFaithfulness,
            HeadScores heads, boolean headsAmongTopNodes, IoiHeadScores ioiHeads) {
    }

    private ToyRun() {
    }

    /** The task of a toy model (deterministic for the seed; disjoint stream from training). */
    public static Task task(ToyTask kind, long seed) {
        return kind.task(new Random(seed * 1_000_003L + 12_345),
                kind == ToyTask.INDUCTION ? INDUCTION_EXAMPLES : IOI_EXAMPLES);
    }

    public static Outcome run(ToyTask kind, long seed, int steps, Path dir, String command, PrintWriter out)
            throws IOException {
        return run(kind, kind.layers(), seed, steps, dir, command, out);
    }

    /** {@link #run(ToyTask, long, int, Path, String, PrintWriter)} with a model of {@code layers} blocks. */
    public static Outcome run(ToyTask kind, int layers, long seed, int steps, Path dir, String command, PrintWriter out)
            throws IOException {
        return run(kind, layers, seed, steps, dir, command, out, out);
    }

    /**
     * As {@link #run(ToyTask, int, long, int, Path, String, PrintWriter)}, with warnings (a model whose behaviour is not
     * the task's) on {@code err}, as every command prints its warnings, so that a script reading the report on
     * standard output sees them apart.
     */
    public static Outcome run(ToyTask kind, int layers, long seed, int steps, Path dir, String command, PrintWriter out,
            PrintWriter err) throws IOException {
        if (layers < kind.minLayers()) {
            throw new IllegalArgumentException("a " + kind.key() + " toy needs at least " + kind.minLayers()
                    + " layers, got " + layers + ": " + kind.whyMinLayers());
        }
        out.printf(Locale.ROOT, "training %s toy model (%d layers, seed %d, %d steps)...%n", kind.key(), layers, seed, steps);
        out.flush();
        ToyTrainer.Result training = ToyTrainer.train(kind, layers, seed, steps, null, (step, loss, avg) -> {
            if (step % Math.max(1, steps / 10) == 0 || step == steps) { // the last: the final loss reported below
                out.printf(Locale.ROOT, "  step %d  loss %.4f  (moving average %.4f)%n", step, loss, avg);
                out.flush();
            }
        }, 0, null);
        training.parameters().writeCheckpoint(dir);
        Task task = task(kind, seed);
        TaskFile.write(dir.resolve("task.jsonl"), task);
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            HookedTransformer model = loaded.model();
            ToyTrainer.Evaluation eval = ToyTrainer.evaluate(model, task);
            out.printf(Locale.ROOT, "trained in %.1f s: final loss %.4f (moving average, as on the progress lines); task accuracy %.3f over %d targets (top-1 over "
                    + "the vocabulary; chance %.3f: %s); steps recomputed after a non-finite gradient: %d%n",
                    training.seconds(), training.finalLoss(), eval.accuracy(), eval.targets(), chance(kind),
                    chanceBasis(kind), training.retriedSteps());

            long start = System.nanoTime();
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 32)) {
                if (!tp.hasEffect()) { // every faithfulness below would be a ratio of round-off
                    throw new IllegalStateException(String.format(java.util.Locale.ROOT, "on the trained %s toy the "
                            + "corrupted prompts do not measurably move the logit difference (by %.3g: clean %.4f, "
                            + "corrupted %.4f), so there is no behaviour to find a circuit for; train longer (--steps) or "
                            + "with another seed",
                            kind.key(), tp.cleanValue() - tp.corruptedValue(), tp.cleanValue(), tp.corruptedValue()));
                }
                List<String> warnings = behaviourWarnings(kind, eval.accuracy(), tp.cleanValue(), tp.corruptedValue());
                for (String w : warnings) {
                    err.println("warning: " + w);
                }
                err.flush();
                out.flush();
                ObjectNode trainingJson = trainingJson(kind, seed, training, eval, warnings);
                JSON.writeValue(dir.resolve("training.json").toFile(), trainingJson);
                EdgeScores exact = new ExhaustivePatching(32).score(tp, Progress.NONE);
                FaithfulTopK.Choice choice = FaithfulTopK.select(tp, exact, FaithfulTopK.TARGET);
                Circuit reference = Circuit.of(tp.graph(), choice.keep(), exact);
                double circuitValue = choice.value();
                double[] nodeEffects = nodeEffects(tp);
                HeadScores heads = kind == ToyTask.INDUCTION ? headScores(model, task) : null;
                boolean among = heads == null || headsAmongTopNodes(tp.graph(), heads, nodeEffects, TOP_HEAD_NODES);
                IoiHeadScores ioiHeads = kind == ToyTask.IOI ? IoiHeadScores.of(model, task) : null;
                Map<String, double[][]> attention = heads != null ? heads.columns() : ioiHeads.columns();
                double seconds = (System.nanoTime() - start) / 1e9;
                CircuitDocument doc = document(kind, seed, dir, command, model, task, tp, reference, circuitValue,
                        nodeEffects, attention, seconds, warnings)
                        // where the model came from, beside what found its circuit: a reader of the file alone (or of
                        // a copy of it, as the shipped toy references are) sees the training settings and the
                        // software, as a discover run's circuit.json shows its own
                        .withExtra("training", trainingJson).withExtra("software", Provenance.software());
                CircuitJson.write(dir.resolve("reference_circuit.json"), doc);
                out.printf(Locale.ROOT, "exact patching of all %d edges (logit-diff, resample): clean %.4f, corrupted %.4f%n",
                        tp.graph().nEdges(), tp.cleanValue(), tp.corruptedValue());
                out.printf(Locale.ROOT, "reference circuit: the smallest top %d edges by |exact effect| with faithfulness >= %.2f: "
                        + "faithfulness %.3f%n", reference.edgeCount(), FaithfulTopK.TARGET,
                        tp.normalized(circuitValue));
                printNodes(out, tp.graph(), nodeEffects, attention);
                if (heads != null) {
                    int[] prev = heads.previousTokenHead();
                    int[] ind = heads.inductionHead();
                    out.printf(Locale.ROOT, "previous-token head: a%d.h%d score %.3f; induction head: a%d.h%d score %.3f "
                            + "(the best of every layer after the first; the previous-token head the best of the layers "
                            + "before it); both among the top %d nodes by |exact node effect|: %s%n", prev[0], prev[1],
                            heads.previousToken()[prev[0]][prev[1]], ind[0], ind[1], heads.induction()[ind[0]][ind[1]],
                            TOP_HEAD_NODES, among ? "yes" : "NO");
                }
                out.printf(Locale.ROOT, "wrote %s (config.json, model.safetensors, task.jsonl, training.json, "
                        + "reference_circuit.json)%n", dir);
                out.flush();
                if (!warnings.isEmpty()) {
                    err.printf(Locale.ROOT, "warning: the reference circuit is that of a model whose behaviour is not the "
                            + "task's (%d warning%s above, recorded in training.json and reference_circuit.json's "
                            + "summary.warnings)%n", warnings.size(), warnings.size() == 1 ? "" : "s");
                    err.flush();
                }
                return new Outcome(training, eval, task, exact, nodeEffects, reference, tp.normalized(circuitValue),
                        heads, among, ioiHeads);
            }
        }
    }

    /**
     * Why a trained toy's reference circuit is not that of the task's behaviour; empty when it is. Reversed: the
     * logit difference (correct minus wrong answer) on the clean prompts is below that on the corrupted ones, so the
     * model prefers the wrong answer where the task's signal is, and the "circuit" found is that of the reversal.
     * Below chance: the top-1 accuracy is below {@link #chance}, the model has not learned the task.
     */
    public static List<String> behaviourWarnings(ToyTask kind, double accuracy, double clean, double corrupted) {
        List<String> warnings = new java.util.ArrayList<>();
        if (clean < corrupted) {
            warnings.add(String.format(Locale.ROOT, "the behaviour is reversed: the logit difference on the clean "
                    + "prompts (%.4f) is below that on the corrupted prompts (%.4f); the reference circuit carries that "
                    + "reversal, not the task; train longer (--steps) or with another seed", clean, corrupted));
        }
        if (accuracy < chance(kind)) {
            warnings.add(String.format(Locale.ROOT, "the task accuracy %.3f is below chance (%.3f: %s): the model has "
                    + "not learned the task; train longer (--steps) or with another seed", accuracy, chance(kind),
                    chanceBasis(kind)));
        }
        return warnings;
    }

    /**
     * The accuracy of guessing: induction, one of the tokens other than BOS; IOI, one of the prompt's two names (a
     * model that learned to answer with a name of the prompt, but not which; a guess among every name would be
     * 1/{@value IoiPrompts#NAMES}).
     */
    static double chance(ToyTask kind) {
        return kind == ToyTask.INDUCTION ? 1.0 / (kind.vocab() - 1) : 0.5;
    }

    /** What {@link #chance} is, in words, as the output and training.json say it. */
    static String chanceBasis(ToyTask kind) {
        return kind == ToyTask.INDUCTION
                ? String.format(Locale.ROOT, "1/%d, a guess among the tokens other than BOS", kind.vocab() - 1)
                : String.format(Locale.ROOT, "1/2, a pick between the prompt's two names; a guess among all %d names "
                        + "would be %.3f", IoiPrompts.NAMES, 1.0 / IoiPrompts.NAMES);
    }

    /** Exact effect of patching every out-edge of each source node at once: m(node patched) - m(clean). */
    public static double[] nodeEffects(TaskPatcher tp) {
        return new ExhaustivePatching(32).nodeEffects(tp);
    }

    /**
     * Previous-token score: mean attention from position p to p - 1 (p >= 1); induction score: mean
     * attention from every position whose token occurred earlier (first at j, with j + 1 < p) to
     * position j + 1, the token after that first occurrence. Both over the task's clean prompts.
     */
    public static HeadScores headScores(HookedTransformer model, Task task) {
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        double[][] prev = new double[layers][heads];
        double[][] ind = new double[layers][heads];
        int[][] tokens = task.examples().stream().map(e -> e.clean()).toArray(int[][]::new);
        try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.all(run)) {
            model.forward(run, tokens, Hooks.caching(cache));
            for (int l = 0; l < layers; l++) {
                NDArray pattern = cache.get(HookName.of(HookSite.PATTERN, l));
                int seq = (int) pattern.getShape().get(2);
                float[] p = pattern.toFloatArray(); // [b, h, s, s]
                for (int h = 0; h < heads; h++) {
                    double sumPrev = 0;
                    double sumInd = 0;
                    int countInd = 0;
                    for (int b = 0; b < tokens.length; b++) {
                        int base = (b * heads + h) * seq * seq;
                        for (int q = 1; q < seq; q++) {
                            sumPrev += p[base + q * seq + q - 1];
                            int j = firstOccurrence(tokens[b], q);
                            if (j >= 0 && j + 1 < q) {
                                sumInd += p[base + q * seq + j + 1];
                                countInd++;
                            }
                        }
                    }
                    prev[l][h] = sumPrev / (tokens.length * (seq - 1));
                    ind[l][h] = countInd == 0 ? 0 : sumInd / countInd;
                }
            }
        }
        return new HeadScores(prev, ind);
    }

    private static int firstOccurrence(int[] tokens, int q) {
        for (int j = 0; j < q; j++) {
            if (tokens[j] == tokens[q]) {
                return j;
            }
        }
        return -1;
    }

    /**
     * Whether the best induction head (of any layer after the first) and the best previous-token head of the layers
     * before it are in the top k nodes. It looked in layers 0 and 1 only, whatever the model's depth.
     */
    public static boolean headsAmongTopNodes(ComputationGraph g, HeadScores heads, double[] nodeEffects, int k) {
        List<Node> top = topNodes(g, nodeEffects, k);
        int[] p = heads.previousTokenHead();
        int[] i = heads.inductionHead();
        Node prev = g.sources().get(g.headSource(p[0], p[1]));
        Node ind = g.sources().get(g.headSource(i[0], i[1]));
        return top.contains(prev) && top.contains(ind);
    }

    /** The k component nodes (heads and MLPs, not the input) with the largest |exact node effect|. */
    public static List<Node> topNodes(ComputationGraph g, double[] nodeEffects, int k) {
        return g.sources().stream().filter(n -> n.kind() != NodeKind.INPUT)
                .sorted(Comparator.comparingDouble((Node n) -> -Math.abs(nodeEffects[n.sourceIndex()])))
                .limit(k).toList();
    }

    static int[] best(double[] scores) {
        int arg = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[arg]) {
                arg = i;
            }
        }
        return new int[] {arg};
    }

    private static void printNodes(PrintWriter out, ComputationGraph g, double[] nodeEffects,
            Map<String, double[][]> attention) {
        StringBuilder header = new StringBuilder("  node              exact effect");
        attention.keySet().forEach(k -> header.append(String.format(Locale.ROOT, "  %14s", k)));
        out.println(header);
        for (Node n : topNodes(g, nodeEffects, g.nSources())) {
            StringBuilder extra = new StringBuilder();
            if (n.kind() == NodeKind.HEAD) {
                attention.values().forEach(v -> extra.append(String.format(Locale.ROOT, "  %14.3f", v[n.layer()][n.head()])));
            }
            out.printf(Locale.ROOT, "  %-16s %13.4f%s%n", n.name(), nodeEffects[n.sourceIndex()], extra);
        }
    }

    private static CircuitDocument document(ToyTask kind, long seed, Path dir, String command, HookedTransformer model,
            Task task, TaskPatcher tp, Circuit reference, double circuitValue, double[] nodeEffects,
            Map<String, double[][]> attention, double seconds, List<String> warnings) {
        Map<String, Object> modelInfo = new LinkedHashMap<>();
        modelInfo.put("name", "toy-" + kind.key() + "-seed" + seed);
        modelInfo.put("family", model.config().family());
        modelInfo.put("config_hash", Hashes.of(model.config()));
        modelInfo.put("n_layers", model.config().nLayers());
        modelInfo.put("n_heads", model.config().nHeads());
        modelInfo.put("d_model", model.config().dModel());
        modelInfo.put("parallel_attn_mlp", model.config().parallelAttnMlp());
        Map<String, Object> taskInfo = new LinkedHashMap<>();
        taskInfo.put("name", task.name());
        taskInfo.put("hash", Hashes.of(task));
        taskInfo.put("examples", task.size());
        Map<String, Object> method = new LinkedHashMap<>();
        method.put("key", "exact");
        method.put("metric", "logit-diff");
        method.put("ablation", "resample");
        method.put("batch_size", 32);
        method.put("seed", seed);
        method.put("in_graph_rule", "smallest k such that the top k edges by |exact effect| have faithfulness "
                + "(m(circuit) - m(corrupted)) / (m(clean) - m(corrupted)) >= " + FaithfulTopK.TARGET
                + ", every other edge patched");
        method.put("faithfulness_target", FaithfulTopK.TARGET);
        method.put("command", command);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("metric", "logit-diff");
        summary.put("clean", tp.cleanValue());
        summary.put("corrupted", tp.corruptedValue());
        summary.put("circuit", circuitValue);
        summary.put("faithfulness", tp.normalized(circuitValue));
        summary.put("edges_in_graph", reference.edgeCount());
        summary.put("edges_total", tp.graph().nEdges());
        summary.put("nodes_in_graph", reference.nodes().size());
        summary.put("forward_passes", tp.forwardPasses());
        summary.put("gradient_passes", tp.gradientPasses()); // 0, exact patching; a key every discover run's summary has
        summary.put("seconds", seconds);
        summary.put("warnings", warnings); // empty when the trained behaviour is the task's (behaviourWarnings)
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        ObjectNode nodes = JSON.createObjectNode();
        for (Node n : tp.graph().sources()) {
            nodes.put(n.name(), nodeEffects[n.sourceIndex()]);
        }
        extra.put("exact_node_effects", nodes);
        ObjectNode scores = JSON.createObjectNode();
        for (Node n : tp.graph().sources()) {
            if (n.kind() == NodeKind.HEAD) {
                ObjectNode o = scores.putObject(n.name());
                attention.forEach((key, v) -> o.put(key, v[n.layer()][n.head()]));
            }
        }
        extra.put("attention_scores", scores);
        return new CircuitDocument(reference, modelInfo, taskInfo, method, summary, extra);
    }

    /** training.json: the training settings and what training reached; also reference_circuit.json's "training". */
    private static ObjectNode trainingJson(ToyTask kind, long seed, ToyTrainer.Result r, ToyTrainer.Evaluation eval,
            List<String> warnings) {
        ObjectNode o = JSON.createObjectNode();
        o.put("task", kind.key());
        o.put("seed", seed);
        o.put("layers", r.parameters().layers());
        o.put("steps", r.steps());
        o.put("batch_size", kind.batchSize());
        o.put("learning_rate", kind.learningRate());
        o.put("weight_decay", kind.weightDecay());
        o.put("final_loss", r.finalLoss());
        o.put("final_loss_is", ToyTrainer.SMOOTHING);
        o.put("eval_loss", eval.loss());
        o.put("accuracy", eval.accuracy());
        o.put("accuracy_targets", eval.targets());
        o.put("chance_accuracy", chance(kind));
        o.put("chance_accuracy_is", chanceBasis(kind));
        o.put("seconds", r.seconds());
        o.put("retried_steps", r.retriedSteps());
        o.put("parameters", r.parameters().parameterCount());
        warnings.forEach(o.putArray("warnings")::add);
        return o;
    }
}
