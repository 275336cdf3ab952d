package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EAP-IG under zero ablation on a model that normalises integrates from an all-zero stream, along which the model is
 * nearly scale-invariant: discover wrote a circuit chosen by scores that summed to 7% of the effect (eap-ig) or reached
 * 1e11 (eap-ig-inputs), exit 0. The pipeline's default scorer, a scorer-only method and compare-scorers (before its
 * exact patching) now refuse it, saying what to use instead; EAP, the one-step case, still runs.
 */
class ZeroAblationEapIgTest {
    @TempDir
    static Path dir;

    @Test
    void discoverAndCompareScorersRefuseItAndEapStillRuns() throws Exception {
        Path model = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("model"), TensorDtype.F32);
        Path task = RandomTaskFile.write(dir.resolve("task.jsonl"), "random", 2, 6, 5, 23);
        String[] common = {"--model", model.toString(), "--task", task.toString(), "--ablation", "zero", "--metric",
            "logit-diff", "--no-validate", "--no-render", "--quiet"};
        for (String[] method : new String[][] {{}, {"--method", "eap-ig-inputs"}}) {
            Path out = dir.resolve("refused" + method.length);
            CliRun r = run(concat(concat(new String[] {"discover", "--out", out.toString()}, common), method));
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("under zero ablation integrates from an all-zero residual stream, and this model "
                    + "normalises"), r.err());
            assertTrue(r.err().contains("Use eap, atp-star or relp"), r.err());
            assertFalse(Files.exists(out.resolve("circuit.json")), "no circuit written");
        }
        CliRun eap = run(concat(new String[] {"discover", "--out", dir.resolve("eap").toString(), "--scorer", "eap"},
                common));
        assertEquals(0, eap.code(), eap.err());
        assertTrue(Files.exists(dir.resolve("eap").resolve("circuit.json")));

        CliRun compare = run("compare-scorers", "--model", model.toString(), "--task", task.toString(), "--ablation", "zero",
                "--metric", "logit-diff", "--quiet");
        assertEquals(2, compare.code(), compare.err());
        assertTrue(compare.err().startsWith("error: --ablation zero: eap-ig under zero ablation"), compare.err());
        assertFalse(compare.out().contains("exact patching of"), "refused before the exact patching: " + compare.out());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
