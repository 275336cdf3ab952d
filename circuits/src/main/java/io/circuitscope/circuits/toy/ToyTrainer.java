package io.circuitscope.circuits.toy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.pytorch.jni.JniUtils;
import io.circuitscope.core.DjlRuntime;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Task;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * Trains a toy GPT-2 with DJL autograd: per step one forward and one backward pass over a fresh
 * batch, then a hand-written AdamW update on the Java parameter arrays (betas 0.9/0.98, eps 1e-8,
 * the task's weight decay on matrices only, global gradient-norm clip 1.0, linear warm-up over the first
 * 5% of steps then cosine decay to 10% of the peak rate).
 *
 * <p>Deterministic for a seed: the weights come from {@code Random(seed)}, the training batches
 * from {@code Random(seed * 31 + 7)}; DJL's random number generator is never used, and the
 * parameter NDArrays are created from the Java arrays at every step. That holds on one kind of CPU: under
 * another instruction set (AVX-512 against AVX2) PyTorch's kernels sum in another order, and the weights
 * differ in their last bits (see the test helper CommittedReference for what that does to a reference circuit).
 */
public final class ToyTrainer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.98;
    private static final double EPS = 1e-8;
    private static final double CLIP = 1.0;
    private static final int MAX_ATTEMPTS = 3;

    /** What {@link Result#finalLoss()} and a {@link LossListener}'s smoothed loss are. */
    public static final String SMOOTHING = "moving average of the batch losses: 0.95 * previous + 0.05 * batch loss, "
            + "from the first batch's";

    /** What a training run produced; {@code finalLoss}: the moving average of the batch losses ({@link #SMOOTHING}). */
    public record Result(ToyParameters parameters, int steps, double finalLoss, double seconds, int retriedSteps) {
    }

    /** Evaluation of a model on a task's clean prompts at its targets. */
    public record Evaluation(double loss, double accuracy, int targets) {
    }

    private ToyTrainer() {
    }

    public static Result train(ToyTask task, long seed, int steps, IntConsumer onStep, LossListener listener) {
        return train(task, seed, steps, onStep, listener, 0, null);
    }

    /** Called every {@code every} steps with the current parameters (for monitoring; must not change them). */
    @FunctionalInterface
    public interface Probe {
        void at(int step, ToyParameters parameters);
    }

    public static Result train(ToyTask task, long seed, int steps, IntConsumer onStep, LossListener listener,
            int every, Probe probe) {
        return train(task, task.layers(), seed, steps, onStep, listener, every, probe);
    }

    /** Trains a model of {@code layers} blocks on {@code task} (its default depth: {@link ToyTask#layers()}). */
    public static Result train(ToyTask task, int layers, long seed, int steps, IntConsumer onStep, LossListener listener,
            int every, Probe probe) {
        DjlRuntime.newManager().close(); // initialises DJL offline before the engine is used
        // One intra-op thread: reductions then run in a fixed order, so a seed gives identical weights
        // (with two threads the last bits differed between runs), and on a shared 2-core machine it is
        // also faster than two threads fighting for a core.
        int threads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        try {
            return trainSingleThreaded(task, layers, seed, steps, onStep, listener, every, probe);
        } finally {
            JniUtils.setNumThreads(threads);
        }
    }

    private static Result trainSingleThreaded(ToyTask task, int layers, long seed, int steps, IntConsumer onStep,
            LossListener listener, int every, Probe probe) {
        long start = System.nanoTime();
        ToyParameters params = ToyParameters.init(task, layers, seed);
        Random data = new Random(seed * 31 + 7);
        Map<String, float[]> m1 = new HashMap<>();
        Map<String, float[]> m2 = new HashMap<>();
        for (String name : params.names()) {
            m1.put(name, new float[params.values(name).length]);
            m2.put(name, new float[params.values(name).length]);
        }
        int warmup = Math.max(1, steps / 20);
        double smoothed = Double.NaN;
        int retries = 0;
        {
            for (int step = 1; step <= steps; step++) {
                ToyTask.TrainBatch batch = task.sample(data, task.batchSize());
                Map<String, float[]> grads = new HashMap<>();
                double loss = Double.NaN;
                double norm = Double.NaN;
                // A sporadic non-finite gradient (about once in 1,000 steps, different each run, never
                // reproducible on the same weights and batch) comes out of the DJL/PyTorch backward; the
                // step is recomputed, which gives the deterministic value again.
                for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                    loss = gradients(params, batch, grads);
                    norm = globalNorm(grads);
                    if (Double.isFinite(loss) && Double.isFinite(norm)) {
                        break;
                    }
                    retries++;
                    System.err.printf(Locale.ROOT, "train-toy: non-finite loss %s or gradient norm %s at step %d (attempt %d); "
                            + "recomputing the step%n", loss, norm, step, attempt);
                    if (attempt == MAX_ATTEMPTS) {
                        throw new IllegalStateException("training diverged at step " + step + ": loss " + loss
                                + ", gradient norm " + norm + " in " + MAX_ATTEMPTS + " attempts;"
                                + nonFinite(params, grads));
                    }
                }
                double clip = norm > CLIP ? CLIP / norm : 1.0;
                double lr = step <= warmup ? task.learningRate() * step / warmup
                        : task.learningRate() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * (step - warmup)
                                / Math.max(1, steps - warmup))));
                double bias1 = 1 - Math.pow(BETA1, step);
                double bias2 = 1 - Math.pow(BETA2, step);
                for (String name : params.names()) {
                    if (task.attentionOnly() && name.contains(".mlp.")) {
                        continue; // frozen at zero
                    }
                    float[] w = params.values(name);
                    float[] g = grads.get(name);
                    float[] a = m1.get(name);
                    float[] b = m2.get(name);
                    boolean decay = name.endsWith(".weight") && !name.contains("ln_");
                    for (int i = 0; i < w.length; i++) {
                        double gi = g[i] * clip;
                        a[i] = (float) (BETA1 * a[i] + (1 - BETA1) * gi);
                        b[i] = (float) (BETA2 * b[i] + (1 - BETA2) * gi * gi);
                        double update = (a[i] / bias1) / (Math.sqrt(b[i] / bias2) + EPS);
                        if (decay) {
                            update += task.weightDecay() * w[i];
                        }
                        w[i] = (float) (w[i] - lr * update);
                    }
                }
                smoothed = Double.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
                if (listener != null) {
                    listener.onStep(step, loss, smoothed);
                }
                if (onStep != null) {
                    onStep.accept(step);
                }
                if (probe != null && every > 0 && step % every == 0) {
                    probe.at(step, params);
                }
            }
        }
        return new Result(params, steps, smoothed, (System.nanoTime() - start) / 1e9, retries);
    }

    /** One forward and one backward pass; fills {@code grads} and returns the loss. */
    private static double gradients(ToyParameters params, ToyTask.TrainBatch batch, Map<String, float[]> grads) {
        try (NDManager stepManager = DjlRuntime.newManager()) {
            ToyParameters.Built built = params.build(stepManager.newSubManager(), true);
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = built.model().forward(stepManager, batch.tokens());
                NDArray value = crossEntropy(logits, batch);
                gc.backward(value);
                loss = value.getFloat();
            }
            for (Map.Entry<String, NDArray> e : built.leaves().entrySet()) {
                grads.put(e.getKey(), e.getValue().getGradient().toFloatArray());
            }
            return loss;
        }
    }

    private static double globalNorm(Map<String, float[]> grads) {
        double norm = 0;
        for (float[] g : grads.values()) {
            for (float x : g) {
                norm += (double) x * x;
            }
        }
        return Math.sqrt(norm);
    }

    private static String nonFinite(ToyParameters params, Map<String, float[]> grads) {
        StringBuilder where = new StringBuilder();
        for (String name : params.names()) {
            boolean badW = false;
            for (float x : params.values(name)) {
                badW |= !Float.isFinite(x);
            }
            boolean badG = false;
            for (float x : grads.get(name)) {
                badG |= !Float.isFinite(x);
            }
            if (badW || badG) {
                where.append(' ').append(name).append(badW ? "(weights)" : "").append(badG ? "(grad)" : "");
            }
        }
        return where.toString();
    }

    /** Called after every step with the batch loss and an exponential moving average of it. */
    @FunctionalInterface
    public interface LossListener {
        void onStep(int step, double loss, double smoothedLoss);
    }

    /** Mean cross-entropy of the next-token predictions at the batch's loss positions. */
    static NDArray crossEntropy(NDArray logits, ToyTask.TrainBatch batch) {
        NDArray picked = atLossPositions(logits, batch);
        long vocab = logits.getShape().get(2);
        float[] oneHot = new float[(int) (batch.labels().length * vocab)];
        for (int i = 0; i < batch.labels().length; i++) {
            oneHot[(int) (i * vocab + batch.labels()[i])] = 1f;
        }
        NDArray target = logits.getManager().create(oneHot, new Shape(batch.labels().length, vocab));
        // The divisor must be a PyTorch-owned tensor: see io.circuitscope.core.Scalars.
        return picked.logSoftmax(-1).mul(target).sum().neg().div(io.circuitscope.core.Scalars.of(picked, batch.labels().length));
    }

    private static NDArray atLossPositions(NDArray logits, ToyTask.TrainBatch batch) {
        Shape s = logits.getShape();
        long seq = s.get(1);
        long[] flat = new long[batch.labels().length];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = batch.rows()[i] * seq + batch.positions()[i];
        }
        NDArray index = logits.getManager().create(flat);
        return logits.reshape(s.get(0) * seq, s.get(2)).get(new NDIndex("{}", index));
    }

    /** Loss and top-1 accuracy of {@code model} on the clean prompts of {@code task} at its targets. */
    public static Evaluation evaluate(HookedTransformer model, Task task) {
        double loss = 0;
        int correct = 0;
        int total = 0;
        for (var b : task.batches(64)) {
            ToyTask.TrainBatch batch = new ToyTask.TrainBatch(b.clean(), b.row(), b.position(), b.correct());
            try (NDManager run = model.newRunManager()) {
                NDArray logits = model.forward(run, batch.tokens());
                loss += crossEntropy(logits, batch).getFloat() * batch.labels().length;
                NDArray picked = atLossPositions(logits, batch);
                long[] argmax = picked.argMax(1).toLongArray();
                for (int i = 0; i < argmax.length; i++) {
                    correct += argmax[i] == batch.labels()[i] ? 1 : 0;
                }
                total += argmax.length;
            }
        }
        return new Evaluation(loss / total, (double) correct / total, total);
    }
}
