package io.circuitscope.core.testing;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.TensorDtype;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Loads tiny checkpoints written to temporary directories. */
public final class TestModels {
    private TestModels() {
    }

    public static LoadedModel load(TinyCheckpoint checkpoint) {
        try {
            Path dir = Files.createTempDirectory("cs-model");
            try {
                checkpoint.write(dir, TensorDtype.F32);
                return ModelLoader.load(dir);
            } finally {
                deleteTree(dir); // the loaded model holds its weights in memory, not the files
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    public static LoadedModel tinyGpt2(long seed) {
        return load(TinyCheckpoint.gpt2(seed, 2, 3, 4, 41, 16, false));
    }
}
