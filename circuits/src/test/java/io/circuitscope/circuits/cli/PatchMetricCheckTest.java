package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * patch reads --metric as discover does (README: "every command that patches reads it the same way"), checks
 * included. On planted:ioi's own task, whose answers are not swapped in pairs, discover and compare-scorers refuse
 * logit-diff-swapped, but patch printed plain logit differences labelled 'logit-diff-swapped', exit 0, in each of
 * its three modes.
 */
class PatchMetricCheckTest {
    @Test
    void anUnbalancedTaskIsRefusedForLogitDiffSwappedInEveryMode() {
        String[][] modes = {{}, {"--edges", "--edge-filter", "->logits"}, {"--receivers", "logits"}};
        for (String[] mode : modes) {
            String[] args = new String[mode.length + 5];
            System.arraycopy(new String[] {"patch", "--model", "planted:ioi", "--metric", "logit-diff-swapped"}, 0, args, 0,
                    5);
            System.arraycopy(mode, 0, args, 5, mode.length);
            CliRun r = run(args);
            assertEquals(1, r.code(), String.join(" ", mode) + ": " + r.out());
            assertTrue(r.err().contains("metric 'logit-diff-swapped': answers ") && r.err().contains("more time(s) with "),
                    r.err());
        }
    }
}
