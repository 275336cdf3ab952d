package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory estimate refuses a model that cannot fit before any weight is read. */
class MemoryCheckTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearOverride() {
        System.clearProperty(MemoryCheck.LIMIT_PROPERTY);
    }

    @Test
    void refusesWithNeededAndAvailableGibAndThePath() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.gpt2(3, 2, 2, 8, 300, 24, false);
        checkpoint.write(dir, TensorDtype.F16);
        System.setProperty(MemoryCheck.LIMIT_PROPERTY, String.valueOf(64L << 20));
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelLoader.load(dir));
        String m = e.getMessage();
        assertTrue(m.startsWith(dir.toString()) && m.contains("needs about 0.13 GiB") && m.contains("only 0.06 GiB")
                && m.contains(MemoryCheck.LIMIT_PROPERTY), m);

        System.setProperty(MemoryCheck.LIMIT_PROPERTY, String.valueOf(1L << 40));
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            assertEquals(2, loaded.model().config().nLayers());
        }
    }

    @Test
    void llama2cFilesAreCheckedToo() throws Exception {
        Path bin = TinyCheckpoint.llamaFamily("llama", 4, 2, 4, 2, 4, 16, 24, 33, 16, true, false).writeLlama2c(dir.resolve("m.bin"));
        System.setProperty(MemoryCheck.LIMIT_PROPERTY, "1000");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelLoader.load(bin));
        assertTrue(e.getMessage().contains(bin.toString()) && e.getMessage().contains("GiB"), e.getMessage());
    }

    @Test
    void estimateCountsShapesButNotTheCausalMaskBuffers() throws Exception {
        TinyCheckpoint checkpoint = TinyCheckpoint.gpt2(3, 2, 2, 8, 300, 24, false);
        checkpoint.write(dir, TensorDtype.F32);
        long params = 0;
        for (var t : checkpoint.tensors().entrySet()) {
            if (!t.getKey().endsWith(".attn.bias")) {
                params += t.getValue().data().length;
            }
        }
        try (TensorSource source = ModelLoader.openTensors(dir)) {
            var config = io.circuitscope.core.arch.Architectures.forConfig(ConfigReader.read(dir.resolve("config.json")))
                    .config(ConfigReader.read(dir.resolve("config.json")));
            MemoryCheck.Estimate estimate = MemoryCheck.estimate(config, source);
            assertEquals(params, estimate.parameters());
            assertTrue(estimate.bytes() > 4 * params, "float32 plus margin");
        }
    }

    @Test
    void readsMemAvailableFromMeminfo() throws Exception {
        Path meminfo = dir.resolve("meminfo");
        Files.writeString(meminfo, "MemTotal:       16318480 kB\nMemFree:  1 kB\nMemAvailable:    8000000 kB\n");
        assertEquals(OptionalLong.of(8000000L * 1024), MemoryCheck.memAvailable(meminfo));
        assertEquals(OptionalLong.empty(), MemoryCheck.memAvailable(dir.resolve("absent")));
    }
}
