package io.circuitscope.core.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * Values of many keep-masks that each differ from one base mask only on edges into some layer or later ones:
 * validation's minimality (the circuit minus one component) and discovery's false-negative check (every edge kept
 * but one). Mask i agrees with the base on every edge into a layer below {@code layer[i]}, so the masks of one layer
 * can run from one prefix of the base at that layer ({@link TaskPatcher#prefixes}, a pass per batch, counted in the
 * forward passes as ACDC's are), each computing only the layers from there on. Layer 0's masks run whole: a prefix
 * there would hold nothing to share.
 *
 * <p>When every mask fits one pass's budget ({@link #fitsPassBudget}), a full pass computes each layer once for all of
 * them (or for up to {@link #MASKS_PER_PASS} of them), and prefixes would add a pass per layer and batch for little
 * saving: {@link #evaluate} then runs the masks whole. Prefixes pay when the budget splits the masks into many
 * passes, as on GPT-2 small (one mask a pass).
 *
 * <p>Masks are built from an index one chunk at a time, so at most {@link #chunkSize} graph-length masks are alive
 * at once however many there are.
 */
public final class PrefixedEvaluation {
    /** The most masks made and evaluated at a time, whatever a pass could hold. */
    public static final int MASKS_PER_PASS = 32;

    private PrefixedEvaluation() {
    }

    /**
     * The first layer whose inputs patching {@code e} changes: its destination's layer, the number of layers for an
     * edge into the logits (which read the stream after the last layer).
     */
    public static int firstLayer(Edge e) {
        return e.destination().node().layer();
    }

    /** Masks evaluated at a time: as many as one pass holds ({@link TaskPatcher#masksPerPass}), at most {@link #MASKS_PER_PASS}. */
    public static int chunkSize(TaskPatcher task) {
        return Math.max(1, Math.min(MASKS_PER_PASS, task.masksPerPass()));
    }

    /**
     * Whether {@code count} masks fit one pass's memory budget ({@link TaskPatcher#masksPerPass}): then the model is
     * small enough that a full pass computes every layer once for many masks, and prefixes would add a pass per layer
     * and batch to save layers that cost little. Made {@link #MASKS_PER_PASS} at a time, such masks may still take a
     * few passes per batch (the default discover run's 50 false-negative patches take 2), each computing every layer
     * once for all its masks. Masks that do not fit (GPT-2 small: one mask a pass) run from prefixes.
     */
    public static boolean fitsPassBudget(TaskPatcher task, int count) {
        return count <= task.masksPerPass();
    }

    /**
     * Values of masks 0..n-1 (n = {@code layer.length}, mask i made by {@code mask}): from prefixes of {@code base}
     * when {@code sharePrefixes} and they do not all fit one pass's budget ({@link #fitsPassBudget}), otherwise each as a full patched pass
     * (the same values up to float rounding). {@code done} hears how many masks are evaluated after every chunk.
     */
    public static double[] evaluate(TaskPatcher task, boolean[] base, int[] layer, IntFunction<boolean[]> mask,
            boolean sharePrefixes, IntConsumer done) {
        return sharePrefixes && !fitsPassBudget(task, layer.length) ? fromPrefixes(task, base, layer, mask, done)
                : inChunks(task, task::evaluateKeep, layer.length, mask, 0, done);
    }

    /**
     * Values of masks 0..n-1 (n = {@code layer.length}), mask i equal to {@code base} on every edge into a layer
     * below {@code layer[i]}: the masks of one layer run from one prefix of {@code base} at that layer, layer 0's
     * (and any below) whole. {@code done} hears the count of masks evaluated so far after every chunk.
     */
    public static double[] fromPrefixes(TaskPatcher task, boolean[] base, int[] layer, IntFunction<boolean[]> mask,
            IntConsumer done) {
        Map<Integer, List<Integer>> byLayer = new TreeMap<>();
        for (int i = 0; i < layer.length; i++) {
            byLayer.computeIfAbsent(layer[i], k -> new ArrayList<>()).add(i);
        }
        double[] out = new double[layer.length];
        int finished = 0;
        for (Map.Entry<Integer, List<Integer>> group : byLayer.entrySet()) {
            List<Integer> members = group.getValue();
            IntFunction<boolean[]> member = j -> mask.apply(members.get(j));
            double[] values;
            if (group.getKey() <= 0) {
                values = inChunks(task, task::evaluateKeep, members.size(), member, finished, done);
            } else {
                try (TaskPatcher.Prefixes prefixes = task.prefixes(base, group.getKey())) {
                    values = inChunks(task, chunk -> task.evaluateKeep(prefixes, chunk), members.size(), member,
                            finished, done);
                }
            }
            for (int j = 0; j < values.length; j++) {
                out[members.get(j)] = values[j];
            }
            finished += members.size();
        }
        return out;
    }

    /** Values of masks 0..count-1, each a full patched pass, a chunk at a time. */
    public static double[] inChunks(TaskPatcher task, int count, IntFunction<boolean[]> mask) {
        return inChunks(task, task::evaluateKeep, count, mask, 0, i -> {
        });
    }

    /**
     * Values of masks 0..count-1 by {@code evaluate}, {@link #chunkSize} masks made and evaluated at a time;
     * {@code done} hears {@code before} plus the masks evaluated so far after every chunk.
     */
    private static double[] inChunks(TaskPatcher task, Function<List<boolean[]>, double[]> evaluate, int count,
            IntFunction<boolean[]> mask, int before, IntConsumer done) {
        return inChunks(evaluate, chunkSize(task), count, mask, before, done);
    }

    /** As above, {@code size} masks at a time. */
    static double[] inChunks(Function<List<boolean[]>, double[]> evaluate, int size, int count,
            IntFunction<boolean[]> mask, int before, IntConsumer done) {
        double[] out = new double[count];
        for (int start = 0; start < count; start += size) {
            int end = Math.min(count, start + size);
            List<boolean[]> chunk = new ArrayList<>(end - start);
            for (int i = start; i < end; i++) {
                chunk.add(mask.apply(i));
            }
            double[] v = evaluate.apply(chunk);
            System.arraycopy(v, 0, out, start, v.length);
            done.accept(before + end);
        }
        return out;
    }
}
