package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.reference.ReferenceForward;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code circuitscope logits} on a checkpoint the test writes itself, checked against the reference forward. */
class LogitsCommandTest {
    @TempDir
    static Path dir;
    static TinyCheckpoint checkpoint;
    static int vocab;

    @BeforeAll
    static void writeModel() throws Exception {
        vocab = TinyTokenizer.write(dir);
        checkpoint = TinyCheckpoint.gpt2(21, 2, 2, 8, vocab, 24, false);
        checkpoint.write(dir, TensorDtype.F32);
    }

    @Test
    void jsonLogitsOfTheLastPositionMatchTheReference() throws Exception {
        CliRun r = run("logits", "--model", dir.toString(), "--tokens", "1,15,27", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode logits = new ObjectMapper().readTree(r.out()).get("logits");
        double[][] expected = ReferenceForward.logits(checkpoint.config(), checkpoint.tensors(), new int[] {1, 15, 27});
        assertEquals(vocab, logits.size());
        for (int v = 0; v < vocab; v++) {
            assertEquals(expected[2][v], logits.get(v).asDouble(), 1e-4);
        }
    }

    @Test
    void allPositionsAndTextPrompt() throws Exception {
        CliRun r = run("logits", "--model", dir.toString(), "--text", "Hi Mary went", "--all-positions", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals(4, root.get("tokens").size());
        assertEquals(4, root.get("logits").size());
        assertEquals(vocab, root.get("logits").get(3).size());
    }

    @Test
    void plainOutputShowsTopTokensWithProbabilities() {
        CliRun r = run("logits", "--model", dir.toString(), "--text", "Hi John", "--top-k", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("input token ' John'"), r.out());
        assertEquals(3, r.out().lines().filter(l -> l.trim().matches("\\d+\\s+\\d+\\s+.*%")).count(), r.out());
    }

    @Test
    void badInputGivesOneLineErrorsAndExitCodes() {
        CliRun badToken = run("logits", "--model", dir.toString(), "--tokens", "1," + vocab);
        assertEquals(2, badToken.code(), "an id the model does not have is a wrong --tokens value");
        assertTrue(badToken.err().contains("--tokens: id " + vocab), badToken.err());
        assertTrue(badToken.err().trim().lines().count() <= 3, badToken.err());

        CliRun missingModel = run("logits", "--model", dir.resolve("nope").toString(), "--tokens", "1");
        assertEquals(1, missingModel.code());
        assertTrue(missingModel.err().contains("nope"), missingModel.err());

        CliRun usage = run("logits", "--tokens", "1");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("--model"), usage.err());

        CliRun verbose = run("logits", "--model", dir.resolve("nope").toString(), "--tokens", "1", "--verbose");
        assertEquals(1, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "--verbose shows the stack trace");
    }
}
