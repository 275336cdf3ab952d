package io.circuitscope.circuits.known;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.hub.HubEnvironment;
import io.circuitscope.core.io.hub.ModelResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Real checkpoints we cannot ship, found where a researcher keeps them: a directory named by an
 * environment variable (e.g. CIRCUITSCOPE_GPT2=/path/to/gpt2) or the Hugging Face cache (offline,
 * never downloading). Tests that need one are skipped, with the reason, when it is absent.
 */
final class LocalModels {
    private LocalModels() {
    }

    static LoadedModel require(String envVar, String hubId) {
        String dir = System.getenv(envVar);
        if (dir != null && !dir.isBlank()) {
            Path p = Path.of(dir);
            Assumptions.assumeTrue(Files.isDirectory(p), "skipped: " + envVar + "=" + dir + " is not a directory");
            return ModelLoader.load(p);
        }
        try {
            return ModelLoader.load(hubId, new ModelResolver(HubEnvironment.system().withOffline(true).quiet()));
        } catch (RuntimeException e) {
            String reason = "skipped: " + hubId + " is not available locally (set " + envVar
                    + " to its directory, or put it in the Hugging Face cache): " + e.getMessage();
            System.out.println(reason);
            Assumptions.abort(reason);
            throw e;
        }
    }
}
