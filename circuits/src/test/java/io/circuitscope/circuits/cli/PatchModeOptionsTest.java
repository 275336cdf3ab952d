package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * patch's --receivers and --edges modes refuse what they would ignore or cannot reach, as usage errors (exit 2):
 * a receiver outside the model was a raw index error, a layer one past the last ran and read all zeros, and
 * --by-position or --nodes were silently dropped.
 */
class PatchModeOptionsTest {
    /** planted:ioi has 3 layers of 4 heads. */
    private static CliRun patch(String... options) {
        String[] args = new String[options.length + 3];
        args[0] = "patch";
        args[1] = "--model";
        args[2] = "planted:ioi";
        System.arraycopy(options, 0, args, 3, options.length);
        return run(args);
    }

    @Test
    void aReceiverOutsideTheModelIsAUsageErrorNamingItAndTheRanges() {
        for (String receiver : new String[] {"a0.h99", "a9.h0", "a3.h0", "a3.h0<q>", "a0.h4", "a99999999999.h0"}) {
            CliRun r = patch("--receivers", receiver, "--direction", "noise");
            assertEquals(2, r.code(), receiver + ": " + r.err() + r.out());
            assertTrue(r.err().contains("receiver '" + receiver + "' is not a head of this model: layers are 0 to 2 "
                    + "and heads 0 to 3"), r.err());
        }
        CliRun ok = patch("--receivers", "a2.h3,logits", "--direction", "noise");
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void optionsTheModeWouldIgnoreAreUsageErrors() {
        String[][] cases = {
            {"--by-position does not apply to --receivers", "--receivers", "logits", "--by-position"},
            {"--nodes mlps does not apply to --receivers", "--receivers", "logits", "--nodes", "mlps"},
            {"--receivers (direct-path patching from every head) and --edges", "--receivers", "logits", "--edges"},
            {"--nodes resid does not apply to --edges", "--edges", "--nodes", "resid"},
            {"--edge-filter applies only with --edges", "--edge-filter", "logits"},
        };
        for (String[] c : cases) {
            String[] options = java.util.Arrays.copyOfRange(c, 1, c.length);
            CliRun r = patch(options);
            assertEquals(2, r.code(), String.join(" ", options) + ": " + r.err());
            assertTrue(r.err().contains(c[0]), r.err());
        }
        CliRun heads = patch("--receivers", "logits", "--nodes", "heads", "--direction", "noise");
        assertEquals(0, heads.code(), "--nodes heads says what the senders are anyway: " + heads.err());
    }
}
