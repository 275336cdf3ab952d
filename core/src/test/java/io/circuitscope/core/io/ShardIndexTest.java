package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.reference.RefTensor;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weight_map must list exactly the tensors its shards hold, each in the shard holding it: a tensor
 * only a shard knows would escape the check for tensors the config does not account for.
 */
class ShardIndexTest {
    private static final String FIRST = "model-00001-of-00002.safetensors";
    private static final String SECOND = "model-00002-of-00002.safetensors";

    @TempDir
    Path dir;

    /** A sharded one-layer GPT-2 holding {@code score.weight}, which the config does not account for. */
    private Path shardedWithStrayTensor() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false);
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>(ck.tensors());
        t.put("score.weight", new RefTensor(new int[] {2, 8}, new float[16]));
        return new TinyCheckpoint(ck.config(), t).writeSharded(dir, TensorDtype.F32, 2);
    }

    private void editWeightMap(Consumer<ObjectNode> edit) throws Exception {
        Path index = dir.resolve("model.safetensors.index.json");
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(index.toFile());
        edit.accept((ObjectNode) root.get("weight_map"));
        new ObjectMapper().writeValue(index.toFile(), root);
    }

    private String loadFails() {
        return assertThrows(CheckpointException.class, () -> ModelLoader.load(dir).close()).getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "message should mention '" + part + "': " + message);
        }
    }

    @Test
    void strayTensorListedInWeightMapIsUnaccounted() throws Exception {
        shardedWithStrayTensor();
        assertContains(loadFails(), "model.safetensors.index.json", "1 weight tensor", "'score.weight'");
    }

    @Test
    void tensorAShardHoldsButWeightMapDoesNotList() throws Exception {
        shardedWithStrayTensor();
        editWeightMap(m -> m.remove("score.weight"));
        assertContains(loadFails(), dir.resolve("model.safetensors.index.json").toString(), "shard ",
                ".safetensors holds tensor 'score.weight'", "weight_map does not list",
                "index does not match its shards");
    }

    @Test
    void tensorWeightMapPutsInAShardThatLacksIt() throws Exception {
        TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false).writeSharded(dir, TensorDtype.F32, 2);
        editWeightMap(m -> m.put("ghost.weight", SECOND));
        assertContains(loadFails(), "model.safetensors.index.json", "'ghost.weight'", SECOND,
                dir.resolve(SECOND).toAbsolutePath().normalize() + " does not contain it");
    }

    @Test
    void tensorInTwoShardsWhereWeightMapNamesTheOther() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false);
        ck.writeSharded(dir, TensorDtype.F32, 2);
        // wte.weight is the first tensor, so weight_map puts it in the first shard; a copy goes in the second.
        ByteBuffer wte = ByteBuffer.allocate(19 * 8 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : ck.tensors().get("wte.weight").data()) {
            wte.putFloat(v);
        }
        RawSafetensors.add(dir.resolve(SECOND), "wte.weight", "F32", new long[] {19, 8}, wte.array());
        assertContains(loadFails(), "model.safetensors.index.json", SECOND + " holds tensor 'wte.weight'",
                "weight_map puts in " + FIRST);
    }

    @Test
    void namesComeFromTheShards() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false);
        ck.writeSharded(dir, TensorDtype.F32, 2);
        try (ShardedSafetensors source = ShardedSafetensors.open(dir.resolve("model.safetensors.index.json"))) {
            assertEquals(ck.tensors().keySet(), source.names());
        }
    }
}
