package io.circuitscope.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Tensors spread over shards named by {@code model.safetensors.index.json}'s weight_map. */
public final class ShardedSafetensors implements TensorSource {
    private final Path index;
    private final Map<String, SafetensorsFile> byTensor;
    private final List<SafetensorsFile> shards;

    private ShardedSafetensors(Path index, Map<String, SafetensorsFile> byTensor, List<SafetensorsFile> shards) {
        this.index = index;
        this.byTensor = byTensor;
        this.shards = shards;
    }

    public static ShardedSafetensors open(Path indexFile) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(JsonSyntax.withoutByteOrderMark(Files.readString(indexFile)));
        } catch (IOException e) {
            throw new CheckpointException(indexFile + ": cannot read shard index: " + ReadErrors.describe(e), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new CheckpointException(indexFile + ": field 'weight_map' is missing or not an object");
        }
        Map<String, SafetensorsFile> openShards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) weightMap::fields) {
                String shardName = e.getValue().asText();
                SafetensorsFile shard = openShards.get(shardName);
                if (shard == null) {
                    Path shardPath = shardPath(indexFile, e.getKey(), e.getValue());
                    if (!Files.isRegularFile(shardPath)) {
                        throw new CheckpointException(indexFile + ": weight_map names shard '" + shardName
                                + "' (for tensor '" + e.getKey() + "') but " + shardPath + " does not exist");
                    }
                    shard = SafetensorsFile.open(shardPath);
                    openShards.put(shardName, shard);
                }
                if (!shard.contains(e.getKey())) {
                    throw new CheckpointException(indexFile + ": weight_map puts tensor '" + e.getKey() + "' in "
                            + shardName + " but that shard does not contain it");
                }
                byTensor.put(e.getKey(), shard);
            }
        } catch (RuntimeException e) {
            openShards.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new ShardedSafetensors(indexFile, byTensor, new ArrayList<>(openShards.values()));
    }

    /**
     * Where weight_map's entry for {@code tensor} points, which must be a file name inside the model
     * folder: an index must not make the loader read files elsewhere ("../../other/model.safetensors").
     * Checked on the path as written, so the hub cache's symlinks into its blobs folder still work.
     */
    private static Path shardPath(Path indexFile, String tensor, JsonNode shardName) {
        Path folder = indexFile.toAbsolutePath().normalize().getParent();
        String problem = null;
        if (!shardName.isTextual() || shardName.asText().isEmpty()) {
            problem = "which is not a file name";
        } else {
            try {
                Path shard = folder.resolve(shardName.asText()).normalize();
                if (shard.getParent() != null && shard.getParent().startsWith(folder)) {
                    return shard;
                }
                problem = "which is outside the model folder " + folder;
            } catch (InvalidPathException invalid) {
                problem = "which is not a valid file name";
            }
        }
        throw new CheckpointException(indexFile + ": weight_map puts tensor '" + tensor + "' in " + shardName
                + ", " + problem);
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(byTensor.keySet());
    }

    @Override
    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    private SafetensorsFile shardOf(String name) {
        SafetensorsFile shard = byTensor.get(name);
        if (shard == null) {
            throw new CheckpointException(index + ": tensor '" + name + "' is missing from weight_map");
        }
        return shard;
    }

    @Override
    public long[] shape(String name) {
        return shardOf(name).shape(name);
    }

    @Override
    public NDArray load(String name, NDManager manager, long[] expected) {
        return shardOf(name).load(name, manager, expected);
    }

    @Override
    public String describe() {
        return index.toString();
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
