package io.circuitscope.discovery;

import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Tasks for random models: the answer is what the clean run predicts, the wrong answer what the corrupted run does. */
public final class RandomTasks {
    private RandomTasks() {
    }

    public static Task make(HookedTransformer model, long seed, int n, int length, boolean identicalCorruption) {
        Random rng = new Random(seed);
        int vocab = model.config().vocabSize();
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] clean = new int[length];
            for (int p = 0; p < length; p++) {
                clean[p] = rng.nextInt(vocab);
            }
            int[] corrupt = clean.clone();
            if (!identicalCorruption) {
                for (int p = 0; p < length; p++) {
                    if (rng.nextDouble() < 0.5) {
                        corrupt[p] = rng.nextInt(vocab);
                    }
                }
            }
            float[] cl = model.logits(clean)[length - 1];
            float[] co = model.logits(corrupt)[length - 1];
            int correct = argmax(cl, -1);
            int wrong = argmax(co, correct);
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, correct, wrong))));
        }
        return new Task("random", examples);
    }

    /** The index of the largest entry of {@code v} other than {@code excluded} (-1 excludes none). */
    static int argmax(float[] v, int excluded) {
        int best = -1;
        for (int i = 0; i < v.length; i++) {
            if (i != excluded && (best < 0 || v[i] > v[best])) {
                best = i;
            }
        }
        return best;
    }
}
