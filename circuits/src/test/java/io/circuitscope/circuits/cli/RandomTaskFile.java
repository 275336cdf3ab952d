package io.circuitscope.circuits.cli;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A task file of random prompt pairs (one target at the last position) for command-line tests on random models. */
public final class RandomTaskFile {
    private RandomTaskFile() {
    }

    public static Path write(Path file, String name, long seed, int examples, int length, int vocab) throws IOException {
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            int[] clean = new int[length];
            int[] corrupt = new int[length];
            for (int p = 0; p < length; p++) {
                clean[p] = rng.nextInt(vocab);
                corrupt[p] = rng.nextInt(vocab);
            }
            int correct = rng.nextInt(vocab);
            int wrong = rng.nextInt(vocab);
            wrong = wrong == correct ? (wrong + 1) % vocab : wrong; // task files refuse equal answers
            out.add(new Example(clean, corrupt, List.of(new Target(-1, correct, wrong))));
        }
        TaskFile.write(file, new Task(name, out));
        return file;
    }
}
