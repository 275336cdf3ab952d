package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.validation.ValidationSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thresholds outside faithfulness's range were taken: --sufficiency 5 printed "sufficient: false (>= 5.00)" and
 * flagged overshoot above 2 - 5; --sufficiency -1 and --necessity -1 passed or failed everything.
 */
class ValidationThresholdsTest {
    @TempDir
    Path dir;

    private static final String[][] REFUSED = {
        {"--sufficiency", "5", "--sufficiency must be in (0, 1], the share of the model's behaviour the circuit must "
                + "recover, got 5.0"},
        {"--sufficiency", "-1", "--sufficiency must be in (0, 1]"},
        {"--sufficiency", "0", "--sufficiency must be in (0, 1]"},
        {"--necessity", "-1", "--necessity must be in [0, 1), the share of the behaviour allowed to remain with the "
                + "circuit corrupted, got -1.0"},
        {"--necessity", "1", "--necessity must be in [0, 1)"},
    };

    @Test
    void validateAndDiscoverRefuseThresholdsOutsideFaithfulnessNamingOptionAndValue() {
        Path out = dir.resolve("not-written");
        for (String[] bad : REFUSED) {
            CliRun v = run("validate", "--model", "planted:ioi", "--task", "t.jsonl", "--circuit", "c.json", bad[0], bad[1]);
            assertEquals(2, v.code(), bad[0] + " " + bad[1]);
            assertTrue(v.err().startsWith("error: " + bad[2]), v.err());
            CliRun d = run("discover", "--quiet", "--out", out.toString(), bad[0], bad[1]);
            assertEquals(2, d.code(), bad[0] + " " + bad[1]);
            assertTrue(d.err().startsWith("error: " + bad[2]), d.err());
        }
        assertFalse(Files.exists(out), "refused before any work");
    }

    @Test
    void theEndsOfTheRangesAreTaken() {
        new ValidationSettings(1, 0, 0, 0, 0, 0.95, 0); // all faithfulness, nothing left: strict but meaningful
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ValidationSettings(5, 0.2, 0.01, 0, 0, 0.95, 0))
                .getMessage().contains("sufficiency threshold must be in (0, 1], got 5.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ValidationSettings(0.8, -1, 0.01, 0, 0, 0.95, 0))
                .getMessage().contains("necessity threshold must be in [0, 1), got -1.0"));
    }
}
