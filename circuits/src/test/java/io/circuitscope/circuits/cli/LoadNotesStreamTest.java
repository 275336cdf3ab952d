package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Gemma 3 checkpoint's load notes (attn_logit_softcapping has no effect there) went to System.err, not to the
 * command's error stream: a caller embedding the command line, and its tests, never saw them.
 */
class LoadNotesStreamTest {
    @TempDir
    Path dir;

    @Test
    void gemma3SoftcapNoteIsOneWarningOnTheCommandsErr() throws Exception {
        Path gemma = TinyCheckpoint.gemma3(5, 2, 2, 1, 4, 8, 16, 23, 16, 4, 2).withConfig("attn_logit_softcapping", 1.0)
                .write(dir.resolve("gemma3"), TensorDtype.F32);
        CliRun r = run("logits", "--model", gemma.toString(), "--tokens", "1,2,3");
        assertEquals(0, r.code(), r.err());
        List<String> warnings = r.err().lines().filter(l -> l.startsWith("warning:")).toList();
        assertEquals(1, warnings.size(), r.err());
        assertTrue(warnings.get(0).contains("attn_logit_softcapping"), warnings.get(0));
    }
}
