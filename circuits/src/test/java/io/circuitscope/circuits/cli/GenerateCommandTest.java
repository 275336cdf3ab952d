package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.io.hub.HubEnvironment;
import io.circuitscope.core.testing.FakeHub;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code circuitscope generate}: greedy decoding checked against the model API, and hub ids on the command line. */
class GenerateCommandTest {
    @TempDir
    static Path dir;
    static int vocab;

    @BeforeAll
    static void writeModel() throws Exception {
        vocab = TinyTokenizer.write(dir);
        TinyCheckpoint.gpt2(31, 2, 2, 8, vocab, 16, false).write(dir, TensorDtype.F32);
    }

    static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void generateEqualsArgmaxOfRepeatedLogits() throws Exception {
        CliRun r = run("generate", "--model", dir.toString(), "--tokens", "1,15,27", "--max-new", "5",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        int[] expected = {1, 15, 27};
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            for (int i = 0; i < 5; i++) {
                float[][] logits = loaded.model().logits(expected);
                expected = Arrays.copyOf(expected, expected.length + 1);
                expected[expected.length - 1] = argmax(logits[logits.length - 1]);
            }
        }
        assertArrayEquals(expected, ints(root.get("tokens")));
        assertArrayEquals(Arrays.copyOfRange(expected, 3, 8), ints(root.get("new_tokens")));
        assertTrue(root.has("text"), "the tiny model has a tokenizer");
    }

    @Test
    void aTokenIdOutsideTheVocabularyIsAUsageErrorNamingTheOption() {
        for (String command : new String[] {"generate", "logits"}) {
            for (int bad : new int[] {vocab, -1}) {
                CliRun r = command.equals("generate")
                        ? run(command, "--model", dir.toString(), "--tokens", "1," + bad, "--max-new", "2")
                        : run(command, "--model", dir.toString(), "--tokens", "1," + bad);
                assertEquals(2, r.code(), command + " " + bad + ": " + r.err());
                assertTrue(r.err().contains("--tokens: id " + bad + " (number 2 of 2) is outside the model's vocabulary [0, "
                        + vocab + ")"), r.err());
            }
        }
    }

    @Test
    void textPromptPrintsIdsAndTextAndStopsAtTheContextWithANote() {
        CliRun r = run("generate", "--model", dir.toString(), "--text", "Hi Mary went", "--max-new",
                "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("prompt: ") && r.out().contains("new: ") && r.out().contains("text:   Hi Mary went"),
                r.out());
        CliRun full = run("generate", "--model", dir.toString(), "--tokens", "1,2,3", "--max-new",
                "100", "--json");
        assertEquals(0, full.code(), full.err());
        assertTrue(full.err().contains("context window of 16 tokens is full"), full.err());
    }

    @Test
    void badMaxNewIsAUsageError() {
        for (String bad : new String[] {"0", "-3", "many"}) {
            CliRun r = run("generate", "--model", dir.toString(), "--tokens", "1", "--max-new", bad);
            assertEquals(2, r.code(), bad + ": " + r.err());
            assertTrue(r.err().contains("--max-new"), r.err());
        }
        assertEquals(2, run("generate", "--model", dir.toString(), "--tokens", "1").code(), "--max-new is required");
    }

    @Test
    void stories260kGeneratesTheRequestedTokens() throws Exception {
        Path bin = Path.of(System.getProperty("circuitscope.sharedDir", "../../shared"))
                .resolve("models/stories260K/stories260K.bin");
        assumeTrue(Files.isRegularFile(bin), "stories260K.bin not found at " + bin.toAbsolutePath() + "; skipping");
        CliRun r = run("generate", "--model", bin.toString(), "--tokens", "1", "--max-new", "12",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals(12, root.get("new_tokens").size());
        assertEquals(13, root.get("tokens").size());
        for (JsonNode t : root.get("new_tokens")) {
            assertTrue(t.asInt() >= 0 && t.asInt() < 512, r.out());
        }
    }

    @Test
    void hubIdsWorkForLogitsAndGenerate(@TempDir Path cache) throws Exception {
        try (FakeHub hub = new FakeHub().serve("tiny-org/tiny", dir)) {
            ModelOptions.environment = () -> new HubEnvironment(cache, hub.endpoint(), null, false, null,
                    Duration.ofSeconds(10));
            CliRun local = run("generate", "--model", dir.toString(), "--tokens", "4,5", "--max-new",
                    "4", "--json");
            CliRun remote = run("generate", "--model", "tiny-org/tiny", "--tokens", "4,5",
                    "--max-new", "4", "--json", "--quiet");
            assertEquals(0, remote.code(), remote.err());
            assertEquals(local.out(), remote.out());
            CliRun logits = run("logits", "--model", "tiny-org/tiny@main", "--tokens", "4,5",
                    "--json");
            assertEquals(0, logits.code(), logits.err());

            ModelOptions.environment = () -> new HubEnvironment(cache.resolve("empty"), hub.endpoint(), null, true,
                    null, Duration.ofSeconds(10));
            CliRun offline = run("logits", "--model", "tiny-org/tiny", "--tokens", "1");
            assertEquals(1, offline.code());
            assertTrue(offline.err().startsWith("error: model 'tiny-org/tiny' is not a local path")
                    && offline.err().contains("HF_HUB_OFFLINE"), offline.err());
            assertEquals(1, offline.err().trim().lines().count());
        } finally {
            ModelOptions.environment = HubEnvironment::system;
        }
    }
}
