package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed checkpoint gives a CheckpointException that names the file and what is wrong. */
class BadCheckpointTest {
    @TempDir
    Path dir;

    private Path validModel() throws Exception {
        return TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false).write(dir, TensorDtype.F32);
    }

    private static void assertMessage(CheckpointException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }

    private static void writeRaw(Path file, String header, int dataBytes) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        Files.write(file, buf.array());
    }

    @Test
    void headerLengthBeyondTheFile() throws Exception {
        Path file = dir.resolve("model.safetensors");
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000).array());
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "header length 1000000");
    }

    @Test
    void headerLengthZeroIsNotCalledBeyondTheFile() throws Exception {
        // It said "header length 0 is beyond the file size of 16 bytes".
        Path file = dir.resolve("model.safetensors");
        Files.write(file, new byte[16]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file));
        assertMessage(e, file.toString(), "header length is 0");
        assertTrue(!e.getMessage().contains("beyond"), e.getMessage());
    }

    @Test
    void headerLengthIsReadAsUnsigned() throws Exception {
        // Bytes ff..ff (2^64 - 1 as safetensors' u64) were printed as "header length -1".
        Path file = dir.resolve("model.safetensors");
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array());
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "header length 18446744073709551615 is beyond the file size of 16 bytes");
    }

    @Test
    void headerLengthAboveTheLimitIsNotCalledBeyondTheFile() throws Exception {
        // A header length within a large file but above safetensors' 100 MiB was "beyond the file size".
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(200L << 20).array());
            raf.setLength(300L << 20); // sparse
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file));
        assertMessage(e, file.toString(), "header length 209715200", "100 MiB");
        assertTrue(!e.getMessage().contains("beyond"), e.getMessage());
    }

    @Test
    void truncatedFileHasOffsetsOutsideTheData() throws Exception {
        Path model = validModel().resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(model.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(dir)),
                model.toString(), "outside the data section");
    }

    @Test
    void unknownDtype() throws Exception {
        Path file = dir.resolve("x.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "'w'", "dtype 'Q4_K'", "not a safetensors dtype");
    }

    @Test
    void headerThatIsNotJson() throws Exception {
        Path file = dir.resolve("x.safetensors");
        writeRaw(file, "{not json", 0);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "not valid JSON");
    }

    @Test
    void byteCountThatDisagreesWithTheShape() throws Exception {
        Path file = dir.resolve("x.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)), "'w'", "needs 12");
    }

    @Test
    void shapeThatDisagreesWithConfig() throws Exception {
        TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false).withConfig("n_positions", 9).write(dir, TensorDtype.F32);
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(dir)),
                "'wpe.weight'", "[8, 8]", "config.json implies [9, 8]");
    }

    @Test
    void missingTensor() throws Exception {
        TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false).without("h.0.mlp.c_fc.bias").write(dir, TensorDtype.F32);
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(dir)),
                "model.safetensors", "'h.0.mlp.c_fc.bias' is missing");
    }

    @Test
    void unknownArchitecture() throws Exception {
        TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false).withConfig("model_type", "bert").write(dir, TensorDtype.F32);
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(dir)),
                "config.json", "model_type", "'bert'", "gpt2");
    }

    @Test
    void missingConfigField() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false);
        ck.config().remove("n_head");
        ck.write(dir, TensorDtype.F32);
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(dir)),
                "config.json", "'n_head' is missing");
    }

    @Test
    void shardIndexNamingAMissingShard() throws Exception {
        TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false).writeSharded(dir, TensorDtype.F32, 2);
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(dir)),
                "model.safetensors.index.json", "model-00002-of-00002.safetensors", "does not exist");
    }

    @Test
    void overlappingDataOffsets() throws Exception {
        Path file = dir.resolve("x.safetensors");
        writeRaw(file, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "'a' (data_offsets [0, 8])", "'b' ([4, 12])", "overlap");
    }

    @Test
    void dataOffsetsThatAreNotIntegers() throws Exception {
        Path file = dir.resolve("x.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.5,8]}}", 8);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "'w'", "[0.5,8]", "two non-negative integers");
    }

    @Test
    void shapeWhoseElementCountOverflows() throws Exception {
        Path file = dir.resolve("x.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}",
                0);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "'w'", "too large");
    }

    /** A copy of the first shard outside the model folder, and the index pointing one tensor at it as written. */
    private Path shardIndexPointingAt(String shardName, Path copy) throws Exception {
        Path model = TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false).writeSharded(dir.resolve("model"),
                TensorDtype.F32, 2);
        Files.createDirectories(copy.getParent());
        Files.copy(model.resolve("model-00001-of-00002.safetensors"), copy);
        Path index = model.resolve("model.safetensors.index.json");
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(index.toFile());
        ((ObjectNode) root.get("weight_map")).put("wte.weight", shardName);
        new ObjectMapper().writeValue(index.toFile(), root);
        return model;
    }

    @Test
    void shardOutsideTheModelFolder() throws Exception {
        Path model = shardIndexPointingAt("../other/model.safetensors", dir.resolve("other/model.safetensors"));
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(model)),
                "model.safetensors.index.json", "'wte.weight'", "../other/model.safetensors", "outside the model folder");
    }

    @Test
    void shardGivenAsAnAbsolutePath() throws Exception {
        Path elsewhere = dir.resolve("elsewhere/model.safetensors").toAbsolutePath();
        Path model = shardIndexPointingAt(elsewhere.toString(), elsewhere);
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(model)),
                "model.safetensors.index.json", "'wte.weight'", "outside the model folder");
    }

    @Test
    void missingDirectory() {
        Path nowhere = dir.resolve("nowhere");
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(nowhere)), nowhere.toString());
    }

    /** Found by CheckpointFuzzTest: the last of two entries for one key won silently. */
    @Test
    void aKeyGivenTwiceInTheHeaderIsRefused() throws Exception {
        Path file = dir.resolve("model.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "'w' appears twice");
        writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "'shape' appears twice");
    }

    /** Found by CheckpointFuzzTest: metadata that was not an object was read as none. */
    @Test
    void metadataThatIsNotAnObjectOfStringsIsRefused() throws Exception {
        Path file = dir.resolve("model.safetensors");
        writeRaw(file, "{\"__metadata__\":[1,2],\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "'__metadata__' must be an object of strings, got [1,2]");
        writeRaw(file, "{\"__metadata__\":{\"format\":7},\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]}}", 8);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)),
                file.toString(), "got 'format': 7");
        writeRaw(file, "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]}}", 8);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertTrue(f.metadata().equals(java.util.Map.of("format", "pt")), f.metadata().toString());
        }
    }

    /** A folder of PyTorch weights said only that model.safetensors was not found. */
    @Test
    void aFolderOfPyTorchWeightsSaysSafetensorsAreNeeded() throws Exception {
        Path model = validModel();
        Files.move(model.resolve("model.safetensors"), model.resolve("pytorch_model.bin"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelLoader.load(model));
        assertMessage(e, model + ": neither model.safetensors nor model.safetensors.index.json found; its "
                + "pytorch_model.bin is PyTorch's own format, which circuitscope does not read");
    }
}
