package io.circuitscope.discovery.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.MeanAblationGroups;
import io.circuitscope.core.task.Task;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * What mean ablation patches in: activations averaged over every prompt of the task with the same length,
 * as Wang et al. and MIB take the mean, so that an analysis gives the same answer however its examples are
 * batched (a per-batch mean turns a batch of one into no ablation at all).
 *
 * @param <K> what names an activation (a hook point, or one tensor of every source's output)
 */
final class TaskMeans<K> implements AutoCloseable {
    private final NDManager manager;
    private final int batchAxis;
    private final Map<Integer, Map<K, NDArray>> byLength = new HashMap<>();

    /**
     * @param owned       holds the means; closed with this
     * @param activations the activations to average for one batch, computed in the manager it is given (closed
     *                    after each batch), each with its examples along {@code batchAxis}
     */
    TaskMeans(NDManager owned, List<Batch> batches, int batchAxis,
            BiFunction<NDManager, Batch, Map<K, NDArray>> activations) {
        this.manager = owned;
        this.batchAxis = batchAxis;
        Map<Integer, Integer> counts = new HashMap<>();
        try {
            for (Batch b : batches) {
                try (NDManager run = manager.newSubManager()) {
                    Map<K, NDArray> sums = byLength.computeIfAbsent(b.length(), k -> new HashMap<>());
                    activations.apply(run, b).forEach((key, value) -> {
                        NDArray sum = value.sum(new int[] {batchAxis}, true);
                        NDArray total = sums.containsKey(key) ? sums.get(key).add(sum) : sum;
                        total.attach(manager);
                        sums.put(key, total);
                    });
                    counts.merge(b.length(), b.size(), Integer::sum);
                }
            }
            byLength.forEach((length, sums) -> sums.replaceAll((key, sum) -> {
                NDArray mean = sum.div(counts.get(length));
                sum.close();
                return mean;
            }));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The task's clean-run means of the hook points {@code names} over its {@code batches}; null unless
     * {@code corruption} is mean ablation. Refuses, before any pass, a task with an example alone at its length.
     */
    static TaskMeans<HookName> ofCleanHooks(HookedTransformer model, Task task, List<Batch> batches,
            Set<HookName> names, Corruption corruption) {
        if (corruption.kind() != Corruption.Kind.MEAN) {
            return null;
        }
        MeanAblationGroups.of(task).requireNoSingletons("corruption"); // in words: patch checks first with its option
        return new TaskMeans<>(model.newRunManager(), batches, 0, (run, b) -> {
            ActivationCache cache = ActivationCache.of(run, names);
            model.forward(run, b.clean(), Hooks.caching(cache));
            Map<HookName, NDArray> cached = new HashMap<>();
            for (HookName name : cache.names()) {
                cached.put(name, cache.get(name));
            }
            return cached;
        });
    }

    /** The key of {@link #ofCleanSources}' one mean: every source's output, stacked [nSources, B, seq, d_model]. */
    static final String SOURCES = "sources";

    /** The task's clean-run mean of every source's output; null unless {@code corruption} is mean ablation. */
    static TaskMeans<String> ofCleanSources(EdgePatcher patcher, Task task, List<Batch> batches,
            Corruption corruption) {
        if (corruption.kind() != Corruption.Kind.MEAN) {
            return null;
        }
        MeanAblationGroups.of(task).requireNoSingletons("corruption"); // in words: patch checks first with its option
        return new TaskMeans<>(patcher.model().newRunManager(), batches, 1,
                (run, b) -> Map.of(SOURCES, patcher.sourceOutputs(run, b.clean()).stacked()));
    }

    /** The task's mean of {@code key} for prompts of {@code batch}'s length, repeated for its examples, owned by {@code owner}. */
    NDArray mean(Batch batch, K key, NDManager owner) {
        NDArray mean = byLength.get(batch.length()).get(key);
        if (mean == null) {
            throw new IllegalArgumentException("no task mean of " + key + " was taken");
        }
        long[] shape = mean.getShape().getShape().clone();
        shape[batchAxis] = batch.size();
        NDArray repeated = mean.broadcast(new Shape(shape));
        repeated.attach(owner);
        return repeated;
    }

    @Override
    public void close() {
        manager.close();
    }
}
