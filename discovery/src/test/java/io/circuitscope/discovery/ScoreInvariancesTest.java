package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.reference.RefTensor;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Metamorphic checks: the numbers discovery computes must not depend on incidental choices. On tiny random GPT-2,
 * Llama (4 query heads on 2 key/value heads), GPT-NeoX (parallel attention and MLP, partial rotary) and Gemma 2
 * (sandwich norms) models, every scorer's edge scores, node scores and importances (eap, eap-ig, eap-ig-inputs,
 * atp-star, relp, relp-ah, exact patching), exact node effects, node AtP, the task's clean and corrupted values and
 * ACDC's kept edges and recorded effects are compared
 * <ul>
 * <li>across the task's examples in another order, batch sizes 1 and 2 (groups of one length cut short), and the
 * task written out twice: the same numbers, since every value is a mean over targets (a task with three prompt
 * lengths, a prompt with two targets);</li>
 * <li>across the heads of each layer permuted in the weights (with grouped keys, whole key/value groups swapped and
 * query heads swapped within a group): the same numbers under the permuted names (ACDC aside: it visits heads in
 * index order and its decisions may depend on that order, as the README says);</li>
 * <li>across a layer whose output weights are zero inserted in the middle: every edge into or out of it scores 0 and
 * every other number (ACDC's decisions included) stays as it was under the shifted names, except AtP*'s GradDrop
 * importances, which by the paper's definition average over the layers (a layer more is a term more).</li>
 * </ul>
 * Each family runs under one ablation and metric (cycled so that every ablation and several metrics are covered) to
 * keep the time down. Tolerances are relative to the largest |value| of each kind of number: float32 sums in another
 * order (measured below 7e-6 on these models).
 *
 * <p>Not covered here, with the reason: the metric-at-clean scorers (eap, atp-star, relp) under KL, whose gradient at
 * the clean run is zero and whose scores are rounding (the command line refuses them).
 *
 * <p>Gemma 2 also runs under zero ablation: there ACDC's effects moved by up to 1e-2 with the batch size, because a
 * destination whose in-edges were all cut read the stream minus every source's output, float rounding that the
 * sandwich norms blew up (fixed: such passes now sum the kept edges; ZeroAblationExactSumsTest).
 */
class ScoreInvariancesTest {
    private static final String[] SCORERS = {"eap", "eap-ig", "eap-ig-inputs", "atp-star", "relp", "relp-ah", "exact"};
    /** float32 results of the same sums in another order, relative to the largest |value| of their kind. */
    private static final double TOLERANCE = 2e-5;
    private static final double TAU = 0.02;

    private record Family(String name, TinyCheckpoint checkpoint, Ablation ablation, Metric metric) {
        @Override
        public String toString() {
            return name + ", " + ablation.name().toLowerCase(Locale.ROOT) + ", " + metric.name();
        }
    }

    static Stream<Arguments> families() {
        return Stream.of(
                new Family("gpt2", TinyCheckpoint.gpt2(71, 2, 2, 4, 23, 8, false), Ablation.RESAMPLE, Metrics.LOGIT_DIFF),
                new Family("llama", TinyCheckpoint.llamaFamily("llama", 73, 2, 4, 2, 4, 8, 12, 23, 8, false, false),
                        Ablation.MEAN, Metrics.PROB_DIFF),
                new Family("gpt_neox", TinyCheckpoint.gptNeox(81, 2, 2, 8, 23, 8, 0.25, true), Ablation.ZERO,
                        Metrics.LOG_PROB),
                new Family("gemma2", TinyCheckpoint.llamaFamily("gemma2", 77, 2, 4, 2, 4, 8, 12, 23, 8, true, false),
                        Ablation.RESAMPLE, Metrics.KL),
                new Family("gemma2", TinyCheckpoint.llamaFamily("gemma2", 77, 2, 4, 2, 4, 8, 12, 23, 8, true, false),
                        Ablation.ZERO, Metrics.LOGIT_DIFF))
                .map(Arguments::of);
    }

    /** Prompts of lengths 5 (four), 6 (three) and 7 (two), in mixed order; the second has a second target. */
    static Task mixedTask(HookedTransformer model, long seed) {
        Random rng = new Random(seed);
        int vocab = model.config().vocabSize();
        int[] lengths = {5, 6, 5, 7, 6, 5, 7, 6, 5};
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            int n = lengths[i];
            int[] clean = new int[n];
            for (int p = 0; p < n; p++) {
                clean[p] = rng.nextInt(vocab);
            }
            int[] corrupt = clean.clone();
            for (int p = 0; p < n; p++) {
                if (rng.nextDouble() < 0.5) {
                    corrupt[p] = rng.nextInt(vocab);
                }
            }
            float[][] cl = model.logits(clean);
            float[][] co = model.logits(corrupt);
            List<Target> targets = new ArrayList<>();
            targets.add(target(-1, cl[n - 1], co[n - 1]));
            if (i == 1) { // this prompt weighs twice in every mean
                targets.add(target(-3, cl[n - 3], co[n - 3]));
            }
            out.add(new Example(clean, corrupt, targets));
        }
        return new Task("mixed", out);
    }

    private static Target target(int position, float[] clean, float[] corrupt) {
        int correct = RandomTasks.argmax(clean, -1);
        return new Target(position, correct, RandomTasks.argmax(corrupt, correct));
    }

    /**
     * Every number by name, "KIND:NAME": each scorer's edge scores, node scores (sum of out-edges), edge and node
     * importances; exact node effects; node AtP; ACDC's kept edges (1/0), which it tried, and their effects; the task's
     * clean and corrupted values.
     */
    static Map<String, Double> numbers(HookedTransformer model, Task task, Metric metric, Ablation ablation, int batch,
            boolean acdc) {
        Map<String, Double> out = new LinkedHashMap<>();
        EdgePatcher patcher = new EdgePatcher(model);
        ComputationGraph g = patcher.graph();
        try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, ablation, batch)) {
            out.put("task:clean", tp.cleanValue());
            out.put("task:corrupted", tp.corruptedValue());
            for (String key : SCORERS) {
                EdgeScorer scorer = Methods.scorer(key, 3);
                if (metric == Metrics.KL && scorer.differentiatesAtClean()) {
                    continue; // its gradient at the clean run is zero: rounding, refused by the command line
                }
                if (scorer instanceof EapIg && EapIg.whyUndefined(key, 3, ablation, model.config()) != null) {
                    continue; // refused under zero ablation on a normalising model
                }
                EdgeScores s = scorer.score(tp, Progress.NONE);
                double[] nodes = s.nodeScoresBySource();
                double[] nodeImportance = s.nodeImportances();
                for (Edge e : g.edges()) {
                    out.put(key + ":" + e.name(), s.get(e.index()));
                    out.put(key + "-importance:" + e.name(), s.importance(e.index()));
                }
                for (Node n : g.sources()) {
                    out.put(key + "-node:" + n.name(), nodes[n.sourceIndex()]);
                    out.put(key + "-node-importance:" + n.name(), nodeImportance[n.sourceIndex()]);
                }
            }
            double[] nodeEffects = new ExhaustivePatching(64).nodeEffects(tp);
            for (Node n : g.sources()) {
                out.put("exact-node-effect:" + n.name(), nodeEffects[n.sourceIndex()]);
            }
            if (metric != Metrics.KL) {
                double[] atp = new Atp().score(tp, Progress.NONE).values();
                for (Node n : g.sources()) {
                    out.put("atp:" + n.name(), atp[n.sourceIndex()]);
                }
            }
            if (acdc) {
                Circuit c = new Acdc(TAU).search(tp, null, Progress.NONE);
                for (Edge e : g.edges()) {
                    double effect = c.scores().get(e.index());
                    out.put("acdc-kept:" + e.name(), c.contains(e.index()) ? 1.0 : 0.0);
                    out.put("acdc-tried:" + e.name(), Double.isNaN(effect) ? 0.0 : 1.0);
                    out.put("acdc-effect:" + e.name(), Double.isNaN(effect) ? 0.0 : effect);
                }
            }
        }
        return out;
    }

    /**
     * Asserts that every number of {@code expected} equals the one {@code rename} names in {@code actual}, within
     * {@link #TOLERANCE} of the largest |value| of its kind (and at least 1e-3 of it); decisions (kept, tried)
     * exactly.
     */
    static void assertSameNumbers(String what, Map<String, Double> expected, Map<String, Double> actual,
            UnaryOperator<String> rename) {
        Map<String, Double> scale = new LinkedHashMap<>();
        expected.forEach((name, v) -> scale.merge(kind(name), Math.abs(v), Math::max));
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Double> e : expected.entrySet()) {
            String name = rename.apply(e.getKey());
            Double other = actual.get(name);
            assertTrue(other != null, what + ": no number " + name);
            String kind = kind(e.getKey());
            double allowed = kind.equals("acdc-kept") || kind.equals("acdc-tried") ? 0
                    : TOLERANCE * Math.max(1e-3, scale.get(kind));
            if (Math.abs(e.getValue() - other) > allowed) {
                wrong.add(String.format(Locale.ROOT, "%s %.8g, now %s %.8g", e.getKey(), e.getValue(), name, other));
            }
        }
        assertTrue(wrong.isEmpty(), what + ": " + wrong.size() + " numbers differ, e.g. "
                + wrong.subList(0, Math.min(8, wrong.size())));
    }

    private static String kind(String name) {
        return name.substring(0, name.indexOf(':'));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void scoresDoNotDependOnPromptOrderBatchSizeOrRepetition(Family f) {
        try (LoadedModel loaded = TestModels.load(f.checkpoint())) {
            HookedTransformer model = loaded.model();
            Task task = mixedTask(model, 5);
            List<Example> shuffled = new ArrayList<>(task.examples());
            Collections.shuffle(shuffled, new Random(3));
            Task permuted = new Task("mixed", shuffled);
            List<Example> twice = new ArrayList<>(task.examples());
            twice.addAll(task.examples());
            Task repeated = new Task("mixed", twice);
            Map<String, Double> base = numbers(model, task, f.metric(), f.ablation(), 16, true);
            assertSameNumbers(f + ", examples in another order", base,
                    numbers(model, permuted, f.metric(), f.ablation(), 16, true), UnaryOperator.identity());
            assertSameNumbers(f + ", batch size 1", base, numbers(model, task, f.metric(), f.ablation(), 1, true),
                    UnaryOperator.identity());
            assertSameNumbers(f + ", another order, batch size 2", base,
                    numbers(model, permuted, f.metric(), f.ablation(), 2, true), UnaryOperator.identity());
            assertSameNumbers(f + ", every example twice, batch size 3", base,
                    numbers(model, repeated, f.metric(), f.ablation(), 3, true), UnaryOperator.identity());
        }
    }

    // ---- weight surgery on checkpoints in the Hugging Face layout ----

    /** Rows of t (a matrix, or a vector read as one column) moved in blocks from offsetRows: new block j = old perm[j]. */
    static RefTensor permuteRowBlocks(RefTensor t, int offsetRows, int blockRows, int[] perm) {
        int cols = t.shape().length == 1 ? 1 : t.shape()[1];
        float[] src = t.data();
        float[] out = src.clone();
        for (int j = 0; j < perm.length; j++) {
            System.arraycopy(src, (offsetRows + perm[j] * blockRows) * cols, out, (offsetRows + j * blockRows) * cols,
                    blockRows * cols);
        }
        return new RefTensor(t.shape(), out);
    }

    /** Columns of a matrix moved in blocks from offsetCols: new block j = old perm[j]. */
    static RefTensor permuteColumnBlocks(RefTensor t, int offsetCols, int blockCols, int[] perm) {
        int rows = t.shape()[0];
        int cols = t.shape()[1];
        float[] src = t.data();
        float[] out = src.clone();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < perm.length; j++) {
                System.arraycopy(src, r * cols + offsetCols + perm[j] * blockCols, out,
                        r * cols + offsetCols + j * blockCols, blockCols);
            }
        }
        return new RefTensor(t.shape(), out);
    }

    /**
     * The checkpoint with layer l's heads permuted by perms[l] (new head j is old head perms[l][j]). With grouped
     * keys a permutation must keep each group's query heads together; the key/value heads move with their group.
     */
    static TinyCheckpoint permuteHeads(TinyCheckpoint ck, int[][] perms) {
        Map<String, Object> config = new LinkedHashMap<>(ck.config());
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>(ck.tensors());
        String type = (String) config.get("model_type");
        for (int l = 0; l < perms.length; l++) {
            int[] perm = perms[l];
            int heads = perm.length;
            switch (type) {
                case "gpt2" -> { // Conv1D [in, out]: c_attn's columns are q | k | v, each head by head
                    int d = (Integer) config.get("n_embd");
                    int dh = d / heads;
                    String p = "h." + l + ".attn.";
                    RefTensor w = t.get(p + "c_attn.weight");
                    RefTensor b = t.get(p + "c_attn.bias");
                    for (int part = 0; part < 3; part++) {
                        w = permuteColumnBlocks(w, part * d, dh, perm);
                        b = permuteRowBlocks(b, part * d, dh, perm);
                    }
                    t.put(p + "c_attn.weight", w);
                    t.put(p + "c_attn.bias", b);
                    t.put(p + "c_proj.weight", permuteRowBlocks(t.get(p + "c_proj.weight"), 0, dh, perm));
                }
                case "gpt_neox" -> { // query_key_value's rows are head by head, q, k, v within each
                    int dh = (Integer) config.get("hidden_size") / heads;
                    String p = "gpt_neox.layers." + l + ".attention.";
                    t.put(p + "query_key_value.weight", permuteRowBlocks(t.get(p + "query_key_value.weight"), 0, 3 * dh, perm));
                    t.put(p + "query_key_value.bias", permuteRowBlocks(t.get(p + "query_key_value.bias"), 0, 3 * dh, perm));
                    t.put(p + "dense.weight", permuteColumnBlocks(t.get(p + "dense.weight"), 0, dh, perm));
                }
                default -> { // Llama family: nn.Linear [out, in]
                    int dh = (Integer) config.get("head_dim");
                    int kv = (Integer) config.get("num_key_value_heads");
                    int group = heads / kv;
                    int[] kvPerm = new int[kv];
                    for (int g = 0; g < kv; g++) {
                        kvPerm[g] = perm[g * group] / group;
                        for (int i = 0; i < group; i++) {
                            assertEquals(kvPerm[g], perm[g * group + i] / group, "the permutation splits a key/value group");
                        }
                    }
                    String p = "model.layers." + l + ".self_attn.";
                    t.put(p + "q_proj.weight", permuteRowBlocks(t.get(p + "q_proj.weight"), 0, dh, perm));
                    t.put(p + "k_proj.weight", permuteRowBlocks(t.get(p + "k_proj.weight"), 0, dh, kvPerm));
                    t.put(p + "v_proj.weight", permuteRowBlocks(t.get(p + "v_proj.weight"), 0, dh, kvPerm));
                    t.put(p + "o_proj.weight", permuteColumnBlocks(t.get(p + "o_proj.weight"), 0, dh, perm));
                }
            }
        }
        return new TinyCheckpoint(config, t);
    }

    /** A name in the original model to its name in the permuted one: old head o of layer l is new head j, perms[l][j] = o. */
    static UnaryOperator<String> renameHeads(int[][] perms) {
        int[][] inverse = new int[perms.length][];
        for (int l = 0; l < perms.length; l++) {
            inverse[l] = new int[perms[l].length];
            for (int j = 0; j < perms[l].length; j++) {
                inverse[l][perms[l][j]] = j;
            }
        }
        Pattern head = Pattern.compile("\\ba(\\d+)\\.h(\\d+)");
        return name -> head.matcher(name).replaceAll(m -> "a" + m.group(1) + ".h"
                + inverse[Integer.parseInt(m.group(1))][Integer.parseInt(m.group(2))]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void permutingTheHeadsOfALayerPermutesTheirScores(Family f) {
        int heads = (Integer) f.checkpoint().config().getOrDefault("num_attention_heads",
                f.checkpoint().config().get("n_head"));
        // four heads on two key/value heads: layer 0 swaps the groups and the heads within each, layer 1 swaps
        // the heads within each group only
        int[][] perms = heads == 4 ? new int[][] {{3, 2, 1, 0}, {1, 0, 3, 2}} : new int[][] {{1, 0}, {1, 0}};
        try (LoadedModel base = TestModels.load(f.checkpoint());
                LoadedModel permuted = TestModels.load(permuteHeads(f.checkpoint(), perms))) {
            Task task = mixedTask(base.model(), 5);
            Map<String, Double> before = numbers(base.model(), task, f.metric(), f.ablation(), 16, false);
            Map<String, Double> after = numbers(permuted.model(), task, f.metric(), f.ablation(), 16, false);
            assertSameNumbers(f + ", heads permuted", before, after, renameHeads(perms));
            // the check can fail: the heads' effects are not all alike, so unpermuted names would not match
            String head = "exact-node-effect:a0.h0";
            assertTrue(Math.abs(before.get(head) - after.get(head)) > 1e-4, "a0.h0 scores alike before and after");
        }
    }

    /**
     * The checkpoint with a copy of layer 0 inserted as layer 1 whose attention and MLP output projections (and their
     * biases) are zero: it reads the stream and adds nothing to it.
     */
    static TinyCheckpoint insertSilentLayer(TinyCheckpoint ck) {
        Map<String, Object> config = new LinkedHashMap<>(ck.config());
        String type = (String) config.get("model_type");
        String layersKey = type.equals("gpt2") ? "n_layer" : "num_hidden_layers";
        config.put(layersKey, (Integer) config.get(layersKey) + 1);
        String prefix = switch (type) {
            case "gpt2" -> "h.";
            case "gpt_neox" -> "gpt_neox.layers.";
            default -> "model.layers.";
        };
        Pattern layer = Pattern.compile("^" + Pattern.quote(prefix) + "(\\d+)\\.(.*)$");
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>();
        ck.tensors().forEach((name, value) -> {
            Matcher m = layer.matcher(name);
            if (!m.matches()) {
                t.put(name, value);
                return;
            }
            int l = Integer.parseInt(m.group(1));
            t.put(prefix + (l >= 1 ? l + 1 : l) + "." + m.group(2), value);
            if (l == 0) {
                String rest = m.group(2);
                boolean output = Stream.of("attn.c_proj", "mlp.c_proj", "attention.dense", "mlp.dense_4h_to_h",
                        "self_attn.o_proj", "mlp.down_proj").anyMatch(rest::startsWith);
                t.put(prefix + "1." + rest, output ? new RefTensor(value.shape(), new float[value.data().length]) : value);
            }
        });
        return new TinyCheckpoint(config, t);
    }

    /** A name in the original model to its name with a layer inserted at 1: a1.h0 -> a2.h0, m1 -> m2. */
    static String shifted(String name) {
        return Pattern.compile("\\b([am])(\\d+)").matcher(name).replaceAll(m -> {
            int l = Integer.parseInt(m.group(2));
            return m.group(1) + (l >= 1 ? l + 1 : l);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void aLayerThatAddsNothingScoresZeroAndChangesNothingElse(Family f) {
        try (LoadedModel base = TestModels.load(f.checkpoint());
                LoadedModel deeper = TestModels.load(insertSilentLayer(f.checkpoint()))) {
            assertEquals(base.model().config().nLayers() + 1, deeper.model().config().nLayers());
            Task task = mixedTask(base.model(), 5);
            Map<String, Double> before = numbers(base.model(), task, f.metric(), f.ablation(), 16, true);
            Map<String, Double> after = numbers(deeper.model(), task, f.metric(), f.ablation(), 16, true);
            // AtP*'s GradDrop is by definition (1/(L-1)) sum over layers l of E|AtP with l's gradient dropped|: a
            // layer more adds the undropped |AtP| as a term and changes the divisor, so its importances move
            before.keySet().removeIf(k -> k.startsWith("atp-star-importance") || k.startsWith("atp-star-node-importance"));
            after.keySet().removeIf(k -> k.startsWith("atp-star-importance") || k.startsWith("atp-star-node-importance"));
            assertSameNumbers(f + ", a silent layer inserted", before, after, ScoreInvariancesTest::shifted);
            Set<String> old = new HashSet<>();
            before.keySet().forEach(k -> old.add(shifted(k)));
            Map<String, Double> scale = new LinkedHashMap<>();
            before.forEach((name, v) -> scale.merge(kind(name), Math.abs(v), Math::max));
            int added = 0;
            for (Map.Entry<String, Double> e : after.entrySet()) {
                if (old.contains(e.getKey()) || kind(e.getKey()).equals("acdc-tried")) {
                    continue; // ACDC tries every new edge, and removes it (kept 0, checked here)
                }
                added++;
                double allowed = TOLERANCE * Math.max(1e-3, scale.get(kind(e.getKey())));
                assertTrue(Math.abs(e.getValue()) <= allowed, f + ": " + e.getKey() + " = " + e.getValue());
            }
            assertTrue(added > 100, "numbers of the silent layer's nodes and edges: " + added);
        }
    }
}
