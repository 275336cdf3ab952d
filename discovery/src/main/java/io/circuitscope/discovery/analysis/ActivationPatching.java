package io.circuitscope.discovery.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Activation-patching sweeps: patch one node (optionally at one position) at a time and measure the metric.
 *
 * <p>Fast path: the variants of one layer are stacked along the batch axis (variant-major rows, up to
 * {@code maxRows} rows per pass) and only the layers from the patched one onward are recomputed, starting
 * from the base run's cached {@code resid_pre} ({@link HookedTransformer#forwardFrom}). {@link #naive} is the
 * reference: one full forward pass per variant with a {@link Selection}-restricted replacement.
 *
 * <p>q/k/v: patching a head's q, k or v <em>input</em> with the source run's input gives exactly the source run's
 * {@code hook_q/k/v} for that head (the input only enters through its own norm and projection), so the sweep
 * patches {@code attn.hook_q/k/v}, which is far cheaper than the per-head copies of the residual stream.
 */
public final class ActivationPatching {
    /** What is patched. */
    public enum Site {
        RESID(HookSite.RESID_PRE, false, "resid_pre"),
        ATTN(HookSite.ATTN_OUT, false, "a"),
        MLP(HookSite.MLP_OUT, false, "m"),
        HEADS(HookSite.Z, true, ""),
        Q(HookSite.Q, true, "<q>"),
        K(HookSite.K, true, "<k>"),
        V(HookSite.V, true, "<v>");

        final HookSite hook;
        final boolean perHead;
        final String label;

        Site(HookSite hook, boolean perHead, String label) {
            this.hook = hook;
            this.perHead = perHead;
            this.label = label;
        }

        /** Whether this site has one variant per head (else one per layer). */
        public boolean isPerHead() {
            return perHead;
        }

        public static Site byName(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "resid", "resid_pre" -> RESID;
                case "attn", "attn_out" -> ATTN;
                case "mlp", "mlps", "mlp_out" -> MLP;
                case "heads", "head", "z" -> HEADS;
                case "q" -> Q;
                case "k" -> K;
                case "v" -> V;
                default -> throw new IllegalArgumentException("unknown node kind '" + name
                        + "' (known: heads, mlps, attn, resid, q, k, v)");
            };
        }
    }

    /** One patched variant: a layer, a head (or -1) and a position (or -1 for all). */
    record Variant(int layer, int head, int position) {
        String name(Site site) {
            String base = switch (site) {
                case RESID -> "resid_pre" + layer;
                case ATTN -> "a" + layer;
                case MLP -> "m" + layer;
                default -> "a" + layer + ".h" + head + site.label;
            };
            return position < 0 ? base : base + "@" + position;
        }
    }

    /** Options of a sweep. */
    public record Options(Metric metric, Direction direction, Corruption corruption, Site site, boolean byPosition,
            int maxRows, int batchSize) {
        public Options {
            if (maxRows < 1 || batchSize < 1) {
                throw new IllegalArgumentException("maxRows and batchSize must be positive");
            }
        }

        public static Options of(Metric metric, Direction direction, Site site, boolean byPosition) {
            return new Options(metric, direction, Corruption.resample(), site, byPosition, 256, 64);
        }

        public Options withCorruption(Corruption c) {
            return new Options(metric, direction, c, site, byPosition, maxRows, batchSize);
        }

        public Options withMaxRows(int rows) {
            return new Options(metric, direction, corruption, site, byPosition, rows, batchSize);
        }
    }

    private ActivationPatching() {
    }

    public static PatchResult sweep(HookedTransformer model, Task task, Options o) {
        return run(model, task, o, false);
    }

    /** The reference: one full forward pass per variant. */
    public static PatchResult naive(HookedTransformer model, Task task, Options o) {
        return run(model, task, o, true);
    }

    private static PatchResult run(HookedTransformer model, Task task, Options o, boolean naive) {
        o.metric().check(task); // as discover's passes check it: logit-diff-swapped's balance, wrong answers, by example
        List<Batch> batches = task.batches(o.batchSize());
        int seq = batches.get(0).length();
        if (o.byPosition()) {
            task.commonLength("patching by position"); // in words: patch checks first with its option
        }
        List<Variant> variants = variants(model, o, seq);
        Set<HookName> names = new HashSet<>();
        for (int l = 0; l < model.config().nLayers(); l++) {
            names.add(HookName.of(HookSite.RESID_PRE, l));
            names.add(HookName.of(o.site().hook, l));
        }
        double[] sum = new double[variants.size()];
        double[] baseSum = {0, 0};
        double total = 0;
        try (TaskMeans<HookName> means = TaskMeans.ofCleanHooks(model, task, batches, names, o.corruption())) {
            for (Batch batch : batches) {
                try (PatchRuns runs = new PatchRuns(model, batch, o.metric(), o.direction(), o.corruption(), names,
                        means)) {
                    double[] values = naive ? naiveBatch(runs, o, variants) : fastBatch(runs, o, variants);
                    double w = runs.weight();
                    for (int v = 0; v < values.length; v++) {
                        sum[v] += w * values[v];
                    }
                    baseSum[0] += w * runs.mClean;
                    baseSum[1] += w * runs.mCorrupt;
                    total += w;
                }
            }
        }
        double clean = baseSum[0] / total;
        double corrupted = baseSum[1] / total;
        double base = o.direction() == Direction.DENOISE ? corrupted : clean;
        List<PatchResult.Effect> effects = new ArrayList<>();
        for (int i = 0; i < variants.size(); i++) {
            Variant v = variants.get(i);
            double value = sum[i] / total;
            effects.add(new PatchResult.Effect(v.name(o.site()), v.layer(), v.head(), v.position(), value,
                    value - base, o.direction().normalized(value, clean, corrupted)));
        }
        return new PatchResult(o.metric().name(), o.direction().name().toLowerCase(Locale.ROOT), clean, corrupted,
                effects);
    }

    static List<Variant> variants(HookedTransformer model, Options o, int seq) {
        List<Variant> out = new ArrayList<>();
        int heads = o.site().perHead ? model.config().nHeads() : 1;
        for (int l = 0; l < model.config().nLayers(); l++) {
            for (int h = 0; h < heads; h++) {
                if (o.byPosition()) {
                    for (int p = 0; p < seq; p++) {
                        out.add(new Variant(l, o.site().perHead ? h : -1, p));
                    }
                } else {
                    out.add(new Variant(l, o.site().perHead ? h : -1, -1));
                }
            }
        }
        return out;
    }

    private static double[] fastBatch(PatchRuns runs, Options o, List<Variant> variants) {
        HookedTransformer model = runs.model;
        int batch = runs.batch.size();
        int seq = runs.batch.length();
        int heads = model.config().nHeads();
        int chunk = Math.max(1, o.maxRows() / batch);
        double[] out = new double[variants.size()];
        int start = 0;
        while (start < variants.size()) {
            int layer = variants.get(start).layer();
            int end = start;
            while (end < variants.size() && end - start < chunk && variants.get(end).layer() == layer) {
                end++;
            }
            int count = end - start;
            try (NDManager pass = runs.run.newSubManager()) {
                HookName name = HookName.of(o.site().hook, layer);
                NDArray resid = PatchRuns.tile(PatchRuns.local(runs.base().get(HookSite.RESID_PRE, layer), pass), count);
                NDArray source = PatchRuns.tile(runs.source(name, pass), count);
                NDArray mask = mask(pass, variants.subList(start, end), batch, seq, o.site().perHead ? heads : 0);
                double[] values;
                if (o.site() == Site.RESID) {
                    NDArray patched = resid.add(source.sub(resid).mul(mask));
                    values = runs.values(model.forwardFrom(pass, layer, patched, Hooks.none(), runs.batch.logitPositions()));
                } else {
                    Hooks hooks = Hooks.of(Intervention.applyReadOnly(name, Selection.all(), "patch sweep",
                            x -> x.add(source.sub(x).mul(mask))));
                    values = runs.values(model.forwardFrom(pass, layer, resid, hooks, runs.batch.logitPositions()));
                }
                System.arraycopy(values, 0, out, start, count);
            }
            start = end;
        }
        return out;
    }

    /** 0/1 mask [V * B, seq, 1] or [V * B, seq, heads, 1]: 1 where variant v patches. */
    private static NDArray mask(NDManager m, List<Variant> vs, int batch, int seq, int heads) {
        int h = Math.max(1, heads);
        float[] values = new float[vs.size() * batch * seq * h];
        for (int v = 0; v < vs.size(); v++) {
            Variant var = vs.get(v);
            for (int b = 0; b < batch; b++) {
                for (int p = 0; p < seq; p++) {
                    if (var.position() >= 0 && var.position() != p) {
                        continue;
                    }
                    for (int k = 0; k < h; k++) {
                        if (heads == 0 || var.head() == k) {
                            values[((v * batch + b) * seq + p) * h + k] = 1f;
                        }
                    }
                }
            }
        }
        Shape shape = heads == 0 ? new Shape((long) vs.size() * batch, seq, 1)
                : new Shape((long) vs.size() * batch, seq, heads, 1);
        return m.create(values, shape);
    }

    private static double[] naiveBatch(PatchRuns runs, Options o, List<Variant> variants) {
        double[] out = new double[variants.size()];
        for (int i = 0; i < variants.size(); i++) {
            Variant v = variants.get(i);
            HookSite hook = o.site().hook;
            HookName name = HookName.of(hook, v.layer());
            Selection where = v.head() >= 0 ? Selection.heads(v.head()) : Selection.all();
            if (v.position() >= 0) {
                where = where.atPositions(v.position());
            }
            try (NDManager pass = runs.run.newSubManager()) {
                Hooks hooks = Hooks.builder().addAll(runs.baseInterventions())
                        .add(Intervention.replace(name, where, runs.source(name, pass))).build();
                out[i] = runs.values(runs.model.forward(pass, runs.baseTokens(), hooks))[0];
            }
        }
        return out;
    }
}
