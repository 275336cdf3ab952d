package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * validate says which metric and ablation judge a circuit and where each came from: "prob-diff and resample
 * ablation, as recorded in circuit.json" was printed for --metric prob-diff on a circuit that recorded kl.
 */
class JudgingChoiceTest {
    @TempDir
    Path dir;

    private static final Path FILE = Path.of("run", "circuit.json");

    @Test
    void aChosenMetricIsToldApartFromTheRecordedOne() {
        assertEquals("metric prob-diff (--metric; run/circuit.json recorded kl) and resample ablation as recorded in "
                + "run/circuit.json", JudgingChoice.provenance(FILE, JudgingChoice.metric("prob-diff", true, "kl"),
                        JudgingChoice.ablation("resample", false, "resample")));
        assertEquals("kl and resample ablation, as recorded in run/circuit.json (--metric and --ablation choose others)",
                JudgingChoice.provenance(FILE, JudgingChoice.metric("kl", false, "kl"),
                        JudgingChoice.ablation("resample", false, "resample")));
        assertEquals("metric kl as recorded in run/circuit.json and zero ablation (--ablation; run/circuit.json "
                + "recorded resample)", JudgingChoice.provenance(FILE, JudgingChoice.metric("kl", false, "kl"),
                        JudgingChoice.ablation("zero", true, "resample")));
        assertEquals("metric logit-diff as recorded in run/circuit.json and resample ablation (the default)",
                JudgingChoice.provenance(FILE, JudgingChoice.metric("logit-diff", false, "logit-diff"),
                        JudgingChoice.ablation("resample", false, null)));
        assertNull(JudgingChoice.provenance(FILE, JudgingChoice.metric("kl", true, "kl"),
                JudgingChoice.ablation("resample", true, "resample")), "both chosen as recorded: nothing to say");
        assertNull(JudgingChoice.provenance(FILE, JudgingChoice.metric("kl", false, null),
                JudgingChoice.ablation("resample", false, null)), "nothing recorded");
    }

    @Test
    void validateSaysSo() {
        Path out = dir.resolve("run");
        assertEquals(0, run("discover", "--method", "acdc", "--no-render", "--no-validate", "--quiet", "--out",
                out.toString()).code());
        Path circuit = out.resolve("circuit.json");
        CliRun r = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--metric", "prob-diff", "--bootstrap", "0", "--completeness-samples", "0", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("validate: metric prob-diff (--metric; " + circuit + " recorded kl) and resample "
                + "ablation as recorded in " + circuit), r.err());
    }
}
