package io.circuitscope.discovery.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.circuitscope.core.task.generate.TranslationGenerator.Pair;
import io.circuitscope.core.testing.TinyTokenizer;
import io.circuitscope.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The translation score's prompt is the tokens the model reads for the whole text, with its spans where they are. */
class TranslationPromptTest {
    @TempDir
    Path dir;

    @Test
    void spansAreFoundInTheWholePromptsTokensUnderBothTokenizerKinds() throws Exception {
        Pair pair = new Pair("English", "French", new String[] {"good", "day"}, new String[] {"bon", "jour"});
        String text = "English: good day. French: bon jour";
        // Llama 2's kind prepends '▁': its parts encoded one by one would gain a stray '▁' each
        TinyTokenizer.writeSentencePiece(dir, "English", "French", "good", "day", "bon", "jour");
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            assertSpans(tok, pair, text);
        }
        TinyTokenizer.write(dir, "English", " good", " day", " French", " bon", " jour");
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            assertSpans(tok, pair, text);
        }
    }

    private static void assertSpans(HfTokenizer tok, Pair pair, String text) {
        TranslationScore.Prompt p = TranslationScore.prompt(tok, pair, pair);
        assertArrayEquals(tok.encodePrompt(text), p.ids());
        assertArrayEquals(tok.encodeContinuation(" bon jour"),
                Arrays.copyOfRange(p.ids(), p.tgtStart(), p.tgtStart() + p.tgtLength()));
        assertArrayEquals(tok.encodeContinuation(" good day"),
                Arrays.copyOfRange(p.ids(), p.srcStart(), p.srcStart() + p.srcLength()));
    }
}
