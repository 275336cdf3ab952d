package io.circuitscope.core.task.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.testing.TinyTokenizer;
import io.circuitscope.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generators on a tokenizer that prepends '▁' to its input (Llama 2): a name is one token where the prompt
 * has it ("to Mary" ends in ▁Mary), though " Mary" encoded alone is [▁, ▁Mary]. Before, IOI found no name usable.
 */
class PrependingTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void ioiAnswersAreTheNameTokensThePromptsContain() throws Exception {
        int vocab = TinyTokenizer.writeSentencePiece(dir, IoiGenerator.NAMES);
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            Generated g = new IoiGenerator().generate(tok, vocab, 8, 1);
            assertEquals(8, g.task().examples().size());
            for (Example e : g.task().examples()) {
                int io = e.targets().get(0).correctId();
                int s = e.targets().get(0).wrongIds().get(0);
                // IO is in the prompt once, S twice (ABBA/BABA), each as the token the answer names
                assertEquals(1, Arrays.stream(e.clean()).filter(t -> t == io).count(), Arrays.toString(e.clean()));
                assertEquals(2, Arrays.stream(e.clean()).filter(t -> t == s).count(), Arrays.toString(e.clean()));
                assertTrue(tok.token(io).strip().length() > 1, tok.token(io));
            }
        }
    }
}
