package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json that is not JSON is described in plain words; a byte-order mark before it is skipped. */
class ConfigJsonSyntaxTest {
    @TempDir
    Path dir;

    @Test
    void badJsonNamesTheFileLineColumnAndProblemWithoutJacksonsBoilerplate() throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\n  \"n_layer\": [1, 2\n");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ConfigReader.read(config));
        // was "invalid JSON (Unexpected end-of-input: ... [Source: REDACTED (`StreamReadFeature...` disabled); ...])"
        assertEquals(config + ": not valid JSON: the JSON ends before the array opened at line 2, column 14 is closed"
                + " with ']' (line 3, column 1)", e.getMessage());
    }

    @Test
    void aByteOrderMarkIsSkipped() throws Exception {
        Path config = dir.resolve("config.json");
        Files.write(config, ("\uFEFF{\"n_layer\": 2}").getBytes(StandardCharsets.UTF_8));
        assertEquals(2, ConfigReader.read(config).root().get("n_layer").asInt());
    }

    /** The same for a sharded checkpoint's index, read by the loader and by the hub cache. */
    @Test
    void aByteOrderMarkBeforeAShardIndexIsSkipped() throws Exception {
        Path model = dir.resolve("sharded");
        io.circuitscope.core.testing.TinyCheckpoint.gpt2(5, 1, 2, 4, 19, 8, false).writeSharded(model, TensorDtype.F32, 2);
        Path index = model.resolve("model.safetensors.index.json");
        Files.write(index, ("\uFEFF" + Files.readString(index)).getBytes(StandardCharsets.UTF_8));
        assertEquals(2, io.circuitscope.core.io.hub.HubCache.shardNames(index).size());
        try (LoadedModel loaded = ModelLoader.load(model)) {
            assertEquals(1, loaded.model().config().nLayers());
        }
    }
}
