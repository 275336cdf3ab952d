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

/**
 * Tensors spread over shards named by {@code model.safetensors.index.json}'s weight_map, which must
 * list exactly the tensors those shards hold, each in the shard holding it.
 */
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
        // By path, so that two spellings of one shard's name ("./a.safetensors") open it once.
        Map<Path, SafetensorsFile> openShards = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) weightMap::fields) {
                String shardName = e.getValue().asText();
                Path shardPath = shardPath(indexFile, e.getKey(), e.getValue());
                SafetensorsFile shard = openShards.get(shardPath);
                if (shard == null) {
                    if (!Files.isRegularFile(shardPath)) {
                        throw new CheckpointException(indexFile + ": weight_map names shard '" + shardName
                                + "' (for tensor '" + e.getKey() + "') but " + shardPath + " does not exist");
                    }
                    shard = SafetensorsFile.open(shardPath);
                    openShards.put(shardPath, shard);
                }
                if (!shard.contains(e.getKey())) {
                    throw new CheckpointException(indexFile + ": weight_map puts tensor '" + e.getKey() + "' in "
                            + shardName + " but " + shardPath + " does not contain it");
                }
            }
            Map<String, SafetensorsFile> byTensor = tensorsOfShards(indexFile, weightMap, openShards);
            return new ShardedSafetensors(indexFile, byTensor, new ArrayList<>(openShards.values()));
        } catch (RuntimeException e) {
            openShards.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /**
     * Every tensor the shards hold, by the shard holding it. A tensor that weight_map does not put in
     * the shard holding it is refused: it would escape the check for tensors the config does not
     * account for, or be read from a different shard than the index says.
     */
    private static Map<String, SafetensorsFile> tensorsOfShards(Path indexFile, JsonNode weightMap,
            Map<Path, SafetensorsFile> shards) {
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        for (Map.Entry<Path, SafetensorsFile> shard : shards.entrySet()) {
            for (String tensor : shard.getValue().names()) {
                JsonNode listed = weightMap.get(tensor);
                if (listed == null) {
                    throw new CheckpointException(indexFile + ": shard " + shard.getKey() + " holds tensor '" + tensor
                            + "', which weight_map does not list; the index does not match its shards");
                }
                if (!shardPath(indexFile, tensor, listed).equals(shard.getKey())) {
                    throw new CheckpointException(indexFile + ": shard " + shard.getKey() + " holds tensor '" + tensor
                            + "', which weight_map puts in " + listed.asText()
                            + "; the index does not match its shards");
                }
                byTensor.put(tensor, shard.getValue());
            }
        }
        return byTensor;
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
