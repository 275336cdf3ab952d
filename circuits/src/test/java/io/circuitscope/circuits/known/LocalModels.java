package io.circuitscope.circuits.known;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.hub.HubCache;
import io.circuitscope.core.io.hub.HubEnvironment;
import io.circuitscope.core.io.hub.HubId;
import io.circuitscope.core.io.hub.ModelResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Real checkpoints we cannot ship, found where a researcher keeps them: a directory named by an
 * environment variable (e.g. CIRCUITSCOPE_GPT2=/path/to/gpt2) or the Hugging Face cache (offline,
 * never downloading). Tests that need one are skipped, with the reason, when it is absent; a checkpoint
 * that is present but does not load fails the test, so a loader regression is never reported as a skip.
 */
final class LocalModels {
    private LocalModels() {
    }

    static LoadedModel require(String envVar, String hubId) {
        return require(envVar, System.getenv(envVar), hubId, HubEnvironment.system());
    }

    /**
     * {@link #require(String, String)} with the variable's value {@code dir} and the hub environment given. Absent
     * means what the offline {@link ModelResolver} would not resolve: no such directory, and no complete snapshot
     * (config.json and weights) of {@code hubId} in the cache.
     */
    static LoadedModel require(String envVar, String dir, String hubId, HubEnvironment hub) {
        if (dir != null && !dir.isBlank()) {
            Path p = Path.of(dir);
            Assumptions.assumeTrue(Files.isDirectory(p), "skipped: " + envVar + "=" + dir + " is not a directory");
            return ModelLoader.load(p);
        }
        HubEnvironment offline = hub.withOffline(true).quiet();
        HubId id = HubId.parse(hubId).orElseThrow(() -> new IllegalArgumentException("not a hub id: " + hubId));
        HubCache cache = new HubCache(offline.cacheDir());
        if (cache.completeSnapshot(id).isEmpty()) {
            String reason = "skipped: " + hubId + " is not available locally (set " + envVar
                    + " to its directory, or put a complete snapshot in the Hugging Face cache at " + cache.repoDir(id)
                    + ")";
            System.out.println(reason);
            Assumptions.abort(reason);
        }
        return ModelLoader.load(hubId, new ModelResolver(offline));
    }
}
