package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A planted model's circuit is compared with the ground truth of the ablation it was found (or judged) with, and
 * the comparison says which: ACDC under zero ablation finds the zero-ablation circuit exactly, which the
 * resample-ablation truth used to score as precision 0.571 (induction), 0.600 (greater-than), 0.727 (IOI).
 */
class PlantedGroundTruthTest {
    @TempDir
    static Path dir;

    static CliRun acdcUnderZeroAblation(String model, Path out, String... more) {
        String[] args = {"discover", "--model", "planted:" + model, "--method", "acdc", "--tau", "0.01", "--metric",
            "logit-diff", "--ablation", "zero", "--bootstrap", "20", "--no-render", "--quiet", "--out", out.toString()};
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return run(all);
    }

    @ParameterizedTest
    @ValueSource(strings = {"induction", "greater-than", "ioi"})
    void acdcUnderZeroAblationHasPrecisionOneAgainstTheZeroAblationTruth(String model) throws Exception {
        Path out = dir.resolve("zero-" + model);
        CliRun r = acdcUnderZeroAblation(model, out);
        assertEquals(0, r.code(), r.err());
        String name = "planted ground truth (" + model + ") under zero ablation";
        assertTrue(r.out().contains("vs " + name + ": edge precision 1.000"), r.out());
        JsonNode cmp = new ObjectMapper().readTree(out.resolve("circuit.json").toFile()).get("comparison");
        assertEquals(name, cmp.get("reference").asText());
        assertEquals(1.0, cmp.get("edge_precision").asDouble(), 1e-12, cmp.toString());
        assertFalse(r.out().contains("assumes the corruption"), "the model's own task: " + r.out());
    }

    /** validate compares with the truth of the ablation judging the circuit, recorded or chosen. */
    @Test
    void validateComparesWithTheTruthOfItsAblation() throws Exception {
        Path out = dir.resolve("validate-induction");
        assertEquals(0, acdcUnderZeroAblation("induction", out).code());
        Path circuit = out.resolve("circuit.json");
        Path task = out.resolve("task.jsonl");
        CliRun recorded = run("validate", "--model", "planted:induction", "--task", task.toString(), "--circuit",
                circuit.toString(), "--bootstrap", "20", "--quiet");
        assertEquals(0, recorded.code(), recorded.err());
        assertTrue(recorded.out().contains("vs planted ground truth (induction) under zero ablation: edge precision "
                + "1.000"), recorded.out());
        assertFalse(recorded.err().contains("assumes the corruption"), "discover's own task.jsonl: " + recorded.err());
        CliRun resample = run("validate", "--model", "planted:induction", "--task", task.toString(), "--circuit",
                circuit.toString(), "--ablation", "resample", "--bootstrap", "20", "--quiet");
        assertEquals(0, resample.code(), resample.err());
        // the 7 zero-ablation edges hold the 4 that matter under resampling
        assertTrue(resample.out().contains("vs planted ground truth (induction) under resample ablation: edge "
                + "precision 0.571 (4/7) recall 1.000 (4/4)"), resample.out());
    }

    /** Another task than the planted model's own gets a note: the planted truth assumes its own corruption. */
    @Test
    void aTaskOtherThanThePlantedOneIsNoted() throws Exception {
        Path seedThree = dir.resolve("seed-3");
        assertEquals(0, acdcUnderZeroAblation("greater-than", seedThree, "--seed", "3").code());
        Path otherTask = seedThree.resolve("task.jsonl");
        String note = "note: the planted ground truth assumes the corruption of planted:greater-than's own task";
        CliRun other = acdcUnderZeroAblation("greater-than", dir.resolve("other-task"), "--task", otherTask.toString());
        assertEquals(0, other.code(), other.err());
        assertTrue(other.out().contains(note), other.out());
        CliRun same = acdcUnderZeroAblation("greater-than", dir.resolve("same-task"), "--task", otherTask.toString(),
                "--seed", "3");
        assertEquals(0, same.code(), same.err());
        assertFalse(same.out().contains(note), "the task seed 3 makes: " + same.out());
        Path seedZero = dir.resolve("seed-0");
        assertEquals(0, acdcUnderZeroAblation("greater-than", seedZero).code());
        // a circuit found on the seed-0 task, judged on the seed-3 one
        CliRun validated = run("validate", "--model", "planted:greater-than", "--task", otherTask.toString(), "--circuit",
                seedZero.resolve("circuit.json").toString(), "--bootstrap", "20", "--quiet");
        assertEquals(0, validated.code(), validated.err());
        assertTrue(validated.err().contains("validate: " + note), validated.err());
    }
}
