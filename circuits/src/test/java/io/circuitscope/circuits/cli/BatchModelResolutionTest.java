package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.io.hub.HubEnvironment;
import io.circuitscope.core.testing.FakeHub;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a batch loads the models its plan names: paths beside the plan, hub ids from the hub, never the working directory. */
class BatchModelResolutionTest {
    @TempDir
    Path dir;

    @AfterEach
    void restoreTheHub() {
        ModelOptions.environment = HubEnvironment::system;
    }

    /**
     * ORG/NAME not beside the plan is a hub id: a folder of that name in the working directory was loaded instead (the
     * plan's paths are resolved against its own folder, and the loader tried the working directory first).
     */
    @Test
    void aHubIdIsNotTakenForAFolderOfThatNameInTheWorkingDirectory() throws Exception {
        assertTrue(Files.isDirectory(Path.of("src/main")), "the test runs in the module's folder");
        ModelOptions.environment = () -> new HubEnvironment(dir.resolve("empty-cache"), java.net.URI.create(
                "http://127.0.0.1:9"), null, true, null, Duration.ofSeconds(1));
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(dir.resolve("t.jsonl"), ""); // a task file must exist when the plan is read
        Files.writeString(plan, "models: [src/main]\ntasks: [t.jsonl]\nmethods: [exact]\ndefaults: {metric: logit-diff}\n");
        CliRun r = run("batch", plan.toString(), "--quiet");
        assertEquals(1, r.code());
        assertTrue(r.out().contains("FAILED 000-main-t-exact-s0: model src/main: model 'src/main' is not a local path")
                && r.out().contains("HF_HUB_OFFLINE"), r.out());
    }

    /** A hub model is recorded by the commit it resolved to, so a later revision of 'main' is told from it. */
    @Test
    void aHubModelsCommitIsRecorded() throws Exception {
        Path model = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("served"), TensorDtype.F32);
        RandomTaskFile.write(dir.resolve("t.jsonl"), "t", 4, 4, 5, 23);
        try (FakeHub hub = new FakeHub().serve("tiny-org/tiny", model)) {
            Path plan = hubPlan(hub);
            CliRun r = run("batch", plan.toString(), "--quiet");
            assertEquals(0, r.code(), r.out() + r.err());
            JsonNode inputs = new ObjectMapper().readTree(dir.resolve("runs/hub/manifest.json").toFile()).get("runs")
                    .get(0).get("inputs");
            assertTrue(inputs.path("model_commit").asText().matches("[0-9a-f]{40}"), inputs.toString());
            assertTrue(!inputs.has("model_sha256"), inputs.toString());
        }
    }

    /**
     * ORG/NAME names a folder beside the plan once one is there, else a hub id, and is recorded under the same name
     * either way: a result made with the hub's model was taken as finished for a folder put there later (with a note
     * that its files were "not recorded"). Now the change is refused as any other change of the model.
     */
    @Test
    void aHubModelsResultIsNotReusedForAFolderOfTheSameNameBesideThePlan() throws Exception {
        Path model = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("served"), TensorDtype.F32);
        RandomTaskFile.write(dir.resolve("t.jsonl"), "t", 4, 4, 5, 23);
        try (FakeHub hub = new FakeHub().serve("tiny-org/tiny", model)) {
            Path plan = hubPlan(hub);
            CliRun first = run("batch", plan.toString(), "--quiet");
            assertEquals(0, first.code(), first.out() + first.err());
            TinyCheckpoint.gpt2(32, 2, 2, 4, 23, 8, false).write(dir.resolve("tiny-org/tiny"), TensorDtype.F32);
            CliRun local = run("batch", plan.toString(), "--quiet");
            assertEquals(1, local.code(), local.out() + local.err());
            assertTrue(local.err().contains("000-tiny-t-exact-s0 (model hub id -> local files)"), local.out() + local.err());
        }
    }

    /** Downloads from {@code hub} into a fresh cache, and a plan of one exact run of tiny-org/tiny on t.jsonl. */
    private Path hubPlan(FakeHub hub) throws java.io.IOException {
        ModelOptions.environment = () -> new HubEnvironment(dir.resolve("cache"), hub.endpoint(), null, false, null,
                Duration.ofSeconds(10));
        Path plan = dir.resolve("hub.yaml");
        Files.writeString(plan, "models: [tiny-org/tiny]\ntasks: [t.jsonl]\nmethods: [exact]\n"
                + "defaults: {metric: logit-diff}\n");
        return plan;
    }
}
