package io.circuitscope.discovery.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Metric;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The clean and corrupted runs of one batch, cached at the hook points an analysis needs, and which of them is
 * the base run (the one patched into) and which the source of patched values, by direction:
 * denoising patches clean values into the corrupted run, noising corrupted (or zero/mean) values into the clean run.
 */
final class PatchRuns implements AutoCloseable {
    final HookedTransformer model;
    final Batch batch;
    final Metric metric;
    final Direction direction;
    final Corruption corruption;
    private final TaskMeans<HookName> means;
    final NDManager run;
    final ActivationCache clean;
    final ActivationCache corrupt;
    final List<Intervention> corruptInterventions;
    final NDArray cleanLogProbs;
    final double mClean;
    final double mCorrupt;

    PatchRuns(HookedTransformer model, Batch batch, Metric metric, Direction direction, Corruption corruption,
            Set<HookName> names) {
        this(model, batch, metric, direction, corruption, names, null);
    }

    /** As above; {@code means} (the task's, for mean ablation) replaces a mean over this batch alone. */
    PatchRuns(HookedTransformer model, Batch batch, Metric metric, Direction direction, Corruption corruption,
            Set<HookName> names, TaskMeans<HookName> means) {
        if (!corruption.isRun() && direction == Direction.DENOISE) {
            throw new IllegalArgumentException(corruption.kind().name().toLowerCase(Locale.ROOT) + " ablation has no corrupted "
                    + "run to denoise; patch in the noising direction (or use the resample / noise corruption)");
        }
        this.model = model;
        this.batch = batch;
        this.metric = metric;
        this.direction = direction;
        this.corruption = corruption;
        this.means = means;
        this.run = model.newRunManager();
        try { // a failure here (e.g. a batch without noise positions) must not leave the clean run behind
            this.clean = ActivationCache.of(run, names);
            this.corrupt = ActivationCache.of(run, names);
            NDArray cleanLogits = model.forward(run, batch.clean(), Hooks.caching(clean));
            this.cleanLogProbs = metric.needsCleanReference()
                    ? Metric.cleanReference(cleanLogits, batch) : null;
            this.corruptInterventions = corruption.corruptedInterventions(run, model, batch);
            NDArray corruptLogits = model.forward(run, corruption.corruptedTokens(batch),
                    Hooks.builder().addAll(corruptInterventions).cache(corrupt).build());
            this.mClean = values(cleanLogits)[0];
            this.mCorrupt = values(corruptLogits)[0];
        } catch (RuntimeException e) {
            run.close(); // the caches are sub-managers of the run: closed with it
            throw e;
        }
    }

    /** Metric per variant for logits of variant-major rows [V * B, seq, vocab]. */
    double[] values(NDArray logits) {
        float[] f = metric.perVariant(logits, batch, cleanLogProbs).toType(DataType.FLOAT32, false).toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    ActivationCache base() {
        return direction == Direction.DENOISE ? corrupt : clean;
    }

    int[][] baseTokens() {
        return direction == Direction.DENOISE ? corruption.corruptedTokens(batch) : batch.clean();
    }

    List<Intervention> baseInterventions() {
        return direction == Direction.DENOISE ? corruptInterventions : List.of();
    }

    /**
     * The value patched in at {@code name}: the clean activation, the corrupted one, or its zero/mean ablation,
     * owned by {@code pass}. An ablation value is computed anew for each pass so that it is freed with the pass:
     * on the batch's run it would stay until the batch ends, one full-size activation per pass.
     */
    NDArray source(HookName name, NDManager pass) {
        if (direction == Direction.DENOISE) {
            return local(clean.get(name), pass);
        }
        if (corruption.isRun()) {
            return local(corrupt.get(name), pass);
        }
        return corruption.kind() == Corruption.Kind.MEAN && means != null ? means.mean(batch, name, pass)
                : corruption.ablate(local(clean.get(name), pass));
    }

    double weight() {
        return batch.targets();
    }

    /** A view of {@code x} owned by {@code manager}, so that everything computed from it is freed with it. */
    static NDArray local(NDArray x, NDManager manager) {
        NDArray view = x.reshape(x.getShape());
        view.attach(manager);
        return view;
    }

    /** {@code x} [B, ...] repeated {@code copies} times along the batch axis, variant-major: [copies * B, ...]. */
    static NDArray tile(NDArray x, int copies) {
        if (copies == 1) {
            return x;
        }
        ai.djl.ndarray.types.Shape s = x.getShape();
        long[] expanded = new long[s.dimension() + 1];
        expanded[0] = copies;
        for (int i = 0; i < s.dimension(); i++) {
            expanded[i + 1] = s.get(i);
        }
        long[] flat = s.getShape().clone();
        flat[0] = copies * s.get(0);
        return x.expandDims(0).broadcast(new ai.djl.ndarray.types.Shape(expanded)).reshape(flat);
    }

    @Override
    public void close() {
        clean.close();
        corrupt.close();
        run.close();
    }
}
