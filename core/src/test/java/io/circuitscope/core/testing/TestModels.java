package io.circuitscope.core.testing;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.TensorDtype;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads tiny checkpoints written to temporary directories. */
public final class TestModels {
    private TestModels() {
    }

    public static LoadedModel load(TinyCheckpoint checkpoint) {
        try {
            Path dir = Files.createTempDirectory("cs-model");
            dir.toFile().deleteOnExit();
            checkpoint.write(dir, TensorDtype.F32);
            return ModelLoader.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static LoadedModel tinyGpt2(long seed) {
        return load(TinyCheckpoint.gpt2(seed, 2, 3, 4, 41, 16, false));
    }
}
