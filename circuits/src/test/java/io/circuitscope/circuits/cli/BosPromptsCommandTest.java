package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GPT-2-style checkpoint whose config.json names a BOS token: text prompts begin with it in every command
 * (as TransformerLens and EAP-IG tokenize them), and --no-bos leaves it out.
 */
class BosPromptsCommandTest {
    @TempDir
    static Path dir;
    static int bos;

    @BeforeAll
    static void writeModel() throws Exception {
        TinyTokenizer.write(dir);
        bos = TinyTokenizer.addSpecialToken(dir, "<|endoftext|>");
        TinyCheckpoint.gpt2(21, 2, 2, 8, bos + 1, 24, false).write(dir, TensorDtype.F32);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.put("bos_token_id", bos);
        json.writeValue(dir.resolve("config.json").toFile(), config);
    }

    @Test
    void logitsOfATextPromptReadTheBosTokenFirst() throws Exception {
        JsonNode with = new ObjectMapper().readTree(run("logits", "--model", dir.toString(), "--text", "Hi Mary went",
                "--all-positions", "--json").out());
        assertEquals(5, with.get("tokens").size());
        assertEquals(bos, with.get("tokens").get(0).asInt());
        CliRun plain = run("logits", "--model", dir.toString(), "--text", "Hi Mary went", "--all-positions", "--json",
                "--no-bos");
        assertEquals(0, plain.code(), plain.err());
        JsonNode without = new ObjectMapper().readTree(plain.out());
        assertEquals(4, without.get("tokens").size());
        assertNotEquals(bos, without.get("tokens").get(0).asInt());
    }

    /** A BOS setting that cannot be read stops text prompts only: ids and --no-bos still work with the model. */
    @Test
    void anUnreadableBosSettingStopsOnlyTextPrompts() throws Exception {
        Path bad = dir.resolve("bad-bos");
        Files.createDirectories(bad);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(dir.resolve(f), bad.resolve(f));
        }
        Files.writeString(bad.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        CliRun ids = run("logits", "--model", bad.toString(), "--tokens", "1,2", "--json");
        assertEquals(0, ids.code(), ids.err());
        CliRun text = run("logits", "--model", bad.toString(), "--text", "Hi Mary", "--json");
        assertEquals(1, text.code());
        assertTrue(text.err().contains("tokenizer_config.json: field 'bos_token': the tokenizer does not know it"),
                text.err());
        CliRun without = run("logits", "--model", bad.toString(), "--text", "Hi Mary", "--json", "--no-bos");
        assertEquals(0, without.code(), without.err());
    }

    @Test
    void aTextTaskIsDiscoveredWithTheBosTokenUnlessToldOtherwise() throws Exception {
        Path task = dir.resolve("task.jsonl");
        Files.writeString(task, String.join("\n",
                "{\"clean\": \"Hi Mary went\", \"corrupt\": \"Hi John went\", \"targets\": [{\"position\": -1, \"correct\": \" Mary\", \"wrong\": \" John\"}]}",
                "{\"clean\": \"Hi John went\", \"corrupt\": \"Hi Mary went\", \"targets\": [{\"position\": -1, \"correct\": \" John\", \"wrong\": \" Mary\"}]}"));
        for (boolean noBos : new boolean[] {false, true}) {
            Path out = dir.resolve("run-" + noBos);
            CliRun r = noBos
                    ? run("discover", "--model", dir.toString(), "--task", task.toString(), "--method", "eap", "--metric",
                            "logit-diff", "--out", out.toString(), "--quiet", "--no-render", "--no-validate", "--no-bos")
                    : run("discover", "--model", dir.toString(), "--task", task.toString(), "--method", "eap", "--metric",
                            "logit-diff", "--out", out.toString(), "--quiet", "--no-render", "--no-validate");
            assertEquals(0, r.code(), r.err());
            JsonNode first = new ObjectMapper().readTree(Files.readAllLines(out.resolve("task.jsonl")).get(0));
            assertEquals(noBos ? 4 : 5, first.get("clean_ids").size(), "the prompts the circuit was found on");
            assertEquals(!noBos, first.get("clean_ids").get(0).asInt() == bos);
            assertTrue(first.get("corrupt_ids").get(0).asInt() == bos != noBos);
        }
        // validate says when the task it reads is not the one the circuit was found on (here: tokenized without BOS)
        Path circuit = dir.resolve("run-false").resolve("circuit.json");
        CliRun same = run("validate", "--model", dir.toString(), "--task", task.toString(), "--circuit", circuit.toString(),
                "--bootstrap", "10", "--quiet");
        assertEquals(0, same.code(), same.err());
        assertTrue(!same.err().contains("is not the task the circuit was found on"), same.err());
        CliRun other = run("validate", "--model", dir.toString(), "--task", task.toString(), "--circuit",
                circuit.toString(), "--bootstrap", "10", "--quiet", "--no-bos");
        assertEquals(0, other.code(), other.err());
        assertTrue(other.err().contains("is not the task the circuit was found on (its token ids differ; for the same "
                + "text, check --no-bos)"), other.err());
    }
}
