package io.circuitscope.circuits.known;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.hub.HubCache;
import io.circuitscope.core.io.hub.HubEnvironment;
import io.circuitscope.core.io.hub.HubId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/** Known-circuit tests skip only when their checkpoint is absent; a present checkpoint that fails to load fails. */
class LocalModelsTest {
    static final String HUB_ID = "openai-community/gpt2";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tmp;

    private HubEnvironment hubAt(Path cacheDir) {
        return HubEnvironment.system().withCacheDir(cacheDir);
    }

    @Test
    void aVariableNamingNoDirectoryOrAnEmptyCacheSkips() {
        assertThrows(TestAbortedException.class, () -> LocalModels.require("X", tmp.resolve("none").toString(), HUB_ID,
                hubAt(tmp.resolve("cache"))));
        assertThrows(TestAbortedException.class, () -> LocalModels.require("X", null, HUB_ID, hubAt(tmp.resolve("cache"))));
    }

    @Test
    void aPresentButBrokenDirectoryFails() throws IOException {
        Files.writeString(tmp.resolve("config.json"), "{ not json");
        assertThrows(CheckpointException.class, () -> LocalModels.require("X", tmp.toString(), HUB_ID,
                hubAt(tmp.resolve("cache"))));
    }

    /** A complete cached snapshot whose files are corrupt is a loader failure, not a missing model. */
    @Test
    void aPresentButBrokenCachedSnapshotFails() throws IOException {
        Path cacheDir = tmp.resolve("cache");
        HubCache cache = new HubCache(cacheDir);
        HubId id = HubId.parse(HUB_ID).orElseThrow();
        Path snapshot = Files.createDirectories(cache.snapshotDir(id, COMMIT));
        Files.writeString(snapshot.resolve("config.json"), "{ not json");
        Files.writeString(snapshot.resolve("model.safetensors"), "not safetensors");
        cache.writeRef(id, COMMIT);
        assertThrows(CheckpointException.class, () -> LocalModels.require("X", null, HUB_ID, hubAt(cacheDir)));
        // half a snapshot is still absent
        Files.delete(snapshot.resolve("model.safetensors"));
        assertThrows(TestAbortedException.class, () -> LocalModels.require("X", null, HUB_ID, hubAt(cacheDir)));
    }
}
