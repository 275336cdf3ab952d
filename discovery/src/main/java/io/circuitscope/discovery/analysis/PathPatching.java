package io.circuitscope.discovery.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.graph.SourceOutputs;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Direct-path patching: for each sender head, the sender's output is swapped (base run -> source run) only in
 * the inputs of the receivers (heads' q/k/v inputs, or the logits), everything else keeping the base run's
 * values; the receivers' changed outputs then propagate normally. This is exactly patching the edges
 * sender -> receiver of {@link ComputationGraph} with {@link EdgePatcher}, computed here with hooks from the
 * first receiver layer on, senders stacked along the batch axis. Heads and MLPs between a sender and its
 * receivers see the base run (nothing reaches a receiver through them), unlike Wang et al.'s path patching, which
 * freezes the other heads but recomputes the MLPs; for the logits as receiver it is each sender's direct effect.
 *
 * <p>Also {@link #edges}: every edge of the graph patched on its own with {@link EdgePatcher} (M masks per pass).
 */
public final class PathPatching {
    /** A receiver: a head input (layer, head, port Q/K/V) or the logits (layer = nLayers, head = -1). */
    public record Receiver(int layer, int head, Port port) {
        private static final Pattern HEAD = Pattern.compile("a(\\d+)\\.h(\\d+)(<([qkv])>)?");

        public boolean isLogits() {
            return head < 0;
        }

        /**
         * "logits", "a9.h9<q>" or "a9.h9" (all three inputs), checked against the model: a head's layer and index
         * must be the model's (a layer past the last would never be reached, and every effect would read 0).
         */
        public static List<Receiver> parse(String spec, ModelConfig config) {
            if (spec.equals("logits")) {
                return List.of(new Receiver(config.nLayers(), -1, Port.IN));
            }
            Matcher m = HEAD.matcher(spec);
            if (!m.matches()) {
                throw new IllegalArgumentException("receiver '" + spec + "' is not 'logits', 'aL.hH' or 'aL.hH<q|k|v>'");
            }
            int l = parseIndex(m.group(1));
            int h = parseIndex(m.group(2));
            List<Receiver> out = m.group(4) != null
                    ? List.of(new Receiver(l, h, Port.valueOf(m.group(4).toUpperCase(Locale.ROOT))))
                    : List.of(new Receiver(l, h, Port.Q), new Receiver(l, h, Port.K), new Receiver(l, h, Port.V));
            out.get(0).check(config, spec);
            return out;
        }

        /** Refuses a receiver that is not the logits or one of the model's heads, naming it and the ranges. */
        void check(ModelConfig config, String spec) {
            if (isLogits() ? layer != config.nLayers()
                    : layer < 0 || layer >= config.nLayers() || head < 0 || head >= config.nHeads()) {
                throw new IllegalArgumentException("receiver '" + spec + "' is not a head of this model: layers are 0 to "
                        + (config.nLayers() - 1) + " and heads 0 to " + (config.nHeads() - 1) + " (a0.h0 to a"
                        + (config.nLayers() - 1) + ".h" + (config.nHeads() - 1) + "), or 'logits'");
            }
        }

        /** A layer or head number; digits too many for an int are out of every range. */
        private static int parseIndex(String digits) {
            try {
                return Integer.parseInt(digits);
            } catch (NumberFormatException e) {
                return Integer.MAX_VALUE;
            }
        }
    }

    private PathPatching() {
    }

    /**
     * Every head as a sender into the given receivers. A sender in a layer at or after a receiver's layer has no
     * direct path to it (its effect through that receiver is zero).
     */
    public static PatchResult senders(HookedTransformer model, Task task, Metric metric, Direction direction,
            Corruption corruption, List<Receiver> receivers, int maxRows) {
        metric.check(task);
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        for (Receiver r : receivers) {
            r.check(model.config(), r.isLogits() ? "logits" : "a" + r.layer() + ".h" + r.head());
        }
        int start = receivers.stream().mapToInt(Receiver::layer).min().orElseThrow();
        Set<HookName> names = new HashSet<>();
        for (int l = 0; l < layers; l++) {
            names.add(HookName.of(HookSite.RESID_PRE, l));
            names.add(HookName.of(HookSite.RESULT, l));
        }
        names.add(HookName.of(HookSite.RESID_POST, layers - 1));
        int senders = layers * heads;
        Tally tally = new Tally(senders);
        List<Batch> batches = task.batches(64);
        try (TaskMeans<HookName> means = TaskMeans.ofCleanHooks(model, task, batches, names, corruption)) {
            for (Batch batch : batches) {
                try (PatchRuns runs = new PatchRuns(model, batch, metric, direction, corruption, names, means)) {
                    int chunk = Math.max(1, maxRows / batch.size());
                    for (int first = 0; first < senders; first += chunk) {
                        int count = Math.min(chunk, senders - first);
                        try (NDManager pass = runs.run.newSubManager()) {
                            tally.add(runs, first, runs.values(senderPass(runs, pass, receivers, first, count, start)));
                        }
                    }
                    tally.endBatch(runs);
                }
            }
        }
        List<PatchResult.Effect> effects = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            effects.add(tally.effect("a" + (s / heads) + ".h" + (s % heads), s / heads, s % heads, -1, s, direction));
        }
        return tally.result(metric, direction, effects);
    }

    private static NDArray senderPass(PatchRuns runs, NDManager pass, List<Receiver> receivers, int first, int count,
            int startLayer) {
        HookedTransformer model = runs.model;
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        int batch = runs.batch.size();
        // delta of each sender, variant-major [count * B, seq, d]
        List<NDArray> deltas = new ArrayList<>();
        int[] senderLayer = new int[count];
        // a layer's base results, their sum over heads and its source results, once per pass for all its senders
        Map<Integer, NDArray[]> layerValues = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int s = first + i;
            senderLayer[i] = s / heads;
            NDArray[] values = layerValues.computeIfAbsent(s / heads, l -> {
                HookName result = HookName.of(HookSite.RESULT, l);
                NDArray baseResults = PatchRuns.local(runs.base().get(result), pass);
                return new NDArray[] {baseResults, baseResults.sum(new int[] {2}), runs.source(result, pass)};
            });
            NDIndex head = new NDIndex(":, :, {}, :", s % heads);
            NDArray baseHead = values[0].get(head);
            NDArray src = values[2].get(head);
            // what a receiver sees change: the layer's output with this head's base result swapped for the
            // source's (with sandwich norms, through the layer's norm), minus its base output
            NDArray swapped = values[1].add(src).sub(baseHead);
            deltas.add(model.attentionOutputLoss(pass, s / heads, swapped, src.sub(baseHead)));
        }
        NDArray delta = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(deltas), 0);
        Shape ds = delta.getShape();
        Hooks.Builder hooks = Hooks.builder();
        NDArray input = startLayer < layers
                ? PatchRuns.tile(PatchRuns.local(runs.base().get(HookSite.RESID_PRE, startLayer), pass), count)
                : PatchRuns.tile(PatchRuns.local(runs.base().get(HookSite.RESID_POST, layers - 1), pass), count);
        for (int l = 0; l <= layers; l++) {
            for (Port port : new Port[] {Port.Q, Port.K, Port.V, Port.IN}) {
                final int layer = l;
                List<Receiver> here = receivers.stream()
                        .filter(r -> r.layer() == layer && (r.isLogits() ? port == Port.IN : r.port() == port)).toList();
                if (here.isEmpty()) {
                    continue;
                }
                NDArray gated = delta.mul(gate(pass, senderLayer, layer, batch));
                if (port == Port.IN) { // logits
                    if (startLayer == layers) {
                        input = input.add(gated);
                    } else {
                        hooks.add(Intervention.applyReadOnly(HookName.of(HookSite.RESID_POST, layers - 1), Selection.all(),
                                "path patch logits", x -> x.add(gated)));
                    }
                    continue;
                }
                float[] hm = new float[heads];
                here.forEach(r -> hm[r.head()] = 1f);
                NDArray perHead = gated.reshape(ds.get(0), ds.get(1), 1, ds.get(2))
                        .mul(pass.create(hm, new Shape(1, 1, heads, 1)));
                HookSite site = port == Port.Q ? HookSite.Q_INPUT : port == Port.K ? HookSite.K_INPUT : HookSite.V_INPUT;
                hooks.add(Intervention.applyReadOnly(HookName.of(site, l), Selection.all(), "path patch " + port,
                        x -> x.add(perHead)));
            }
        }
        return model.forwardFrom(pass, startLayer, input, hooks.build(), runs.batch.logitPositions());
    }

    /** [count * B, 1, 1]: 1 for variants whose sender layer is before {@code receiverLayer}. */
    private static NDArray gate(NDManager m, int[] senderLayer, int receiverLayer, int batch) {
        float[] g = new float[senderLayer.length * batch];
        for (int i = 0; i < senderLayer.length; i++) {
            for (int b = 0; b < batch; b++) {
                g[i * batch + b] = senderLayer[i] < receiverLayer ? 1f : 0f;
            }
        }
        return m.create(g, new Shape(g.length, 1, 1));
    }

    /**
     * Every edge (or those whose name contains {@code filter}) patched alone with {@link EdgePatcher}, split by
     * token position when {@code byPosition} (then every prompt must have the same length). The noise
     * corruption is not supported here (the edge patcher's runs take no extra hooks).
     */
    public static PatchResult edges(HookedTransformer model, Task task, Metric metric, Direction direction,
            Corruption corruption, String filter, int maxRows, boolean byPosition) {
        metric.check(task);
        if (corruption.kind() == Corruption.Kind.NOISE) {
            throw new IllegalArgumentException("edge patching supports the resample, zero and mean corruptions");
        }
        EdgePatcher patcher = new EdgePatcher(model, byPosition
                ? ComputationGraph.byPosition(model.config(), task.commonLength("edge patching by position")) : ComputationGraph.of(model.config()));
        ComputationGraph g = patcher.graph();
        List<Edge> edges = g.edges().stream().filter(e -> filter == null || e.name().contains(filter)).toList();
        if (edges.isEmpty()) {
            throw new IllegalArgumentException("no edge matches '" + filter + "'");
        }
        Tally tally = new Tally(edges.size());
        List<Batch> batches = task.batches(64);
        try (TaskMeans<String> means = TaskMeans.ofCleanSources(patcher, task, batches, corruption)) {
            for (Batch batch : batches) {
                try (PatchRuns runs = new PatchRuns(model, batch, metric, direction, corruption, Set.of())) {
                    SourceOutputs patched = direction == Direction.DENOISE ? patcher.sourceOutputs(runs.run, batch.clean())
                            : corruption.isRun() ? patcher.sourceOutputs(runs.run, batch.corrupt())
                            : means != null ? new SourceOutputs(means.mean(batch, TaskMeans.SOURCES, runs.run))
                            : corruption.ablate(patcher.sourceOutputs(runs.run, batch.clean()));
                    int chunk = Math.max(1, maxRows / batch.size());
                    int cells = g.coefficientCells();
                    for (int first = 0; first < edges.size(); first += chunk) {
                        int count = Math.min(chunk, edges.size() - first);
                        try (NDManager pass = runs.run.newSubManager()) {
                            float[] coef = new float[count * cells];
                            java.util.Arrays.fill(coef, 1f);
                            for (int i = 0; i < count; i++) {
                                coef[i * cells + g.coefficientIndex(edges.get(first + i))] = 0f;
                            }
                            NDArray logits = patcher.forward(pass, runs.baseTokens(), patched,
                                    pass.create(coef, g.coefficientShape(count)), GradientRules.EXACT, List.of(),
                                    runs.batch.logitPositions());
                            tally.add(runs, first, runs.values(logits));
                        }
                    }
                    tally.endBatch(runs);
                }
            }
        }
        List<PatchResult.Effect> effects = new ArrayList<>();
        for (int i = 0; i < edges.size(); i++) {
            Edge e = edges.get(i);
            effects.add(tally.effect(e.name(), e.source().layer(), e.source().head(), e.position(), i, direction));
        }
        return tally.result(metric, direction, effects);
    }

    /** Variant values averaged over the task's batches (weighted by targets), with the clean and corrupted ends. */
    private static final class Tally {
        private final double[] sum;
        private double clean;
        private double corrupt;
        private double total;

        Tally(int variants) {
            sum = new double[variants];
        }

        void add(PatchRuns runs, int first, double[] values) {
            for (int i = 0; i < values.length; i++) {
                sum[first + i] += runs.weight() * values[i];
            }
        }

        void endBatch(PatchRuns runs) {
            clean += runs.weight() * runs.mClean;
            corrupt += runs.weight() * runs.mCorrupt;
            total += runs.weight();
        }

        PatchResult.Effect effect(String name, int layer, int head, int position, int variant, Direction direction) {
            double value = sum[variant] / total;
            double base = direction == Direction.DENOISE ? corrupt / total : clean / total;
            return new PatchResult.Effect(name, layer, head, position, value, value - base,
                    direction.normalized(value, clean / total, corrupt / total));
        }

        PatchResult result(Metric metric, Direction direction, List<PatchResult.Effect> effects) {
            return new PatchResult(metric.name(), direction.name().toLowerCase(Locale.ROOT), clean / total,
                    corrupt / total, effects);
        }
    }
}
