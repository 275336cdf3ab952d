package io.circuitscope.core.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void byteLevelBpeEncodesMergedWordsAsSingleTokensAndRoundTrips() throws Exception {
        int vocab = TinyTokenizer.write(dir);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            int mary = tokenizer.singleToken(" Mary");
            int john = tokenizer.singleToken(" John");
            assertTrue(mary >= 256 && mary < vocab && john >= 256 && john < vocab);
            int[] ids = tokenizer.encode("Hi Mary went");
            assertEquals(4, ids.length); // H, i, " Mary", " went"
            assertEquals(mary, ids[2]);
            assertEquals("Hi Mary went", tokenizer.decode(ids));
            assertEquals(" John", tokenizer.token(john));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.singleToken(" Bob"));
            assertTrue(e.getMessage().contains("' Bob' is 4 tokens"), e.getMessage());
        }
    }

    /**
     * Llama 2's tokenizer prepends '▁' to its input, so " Mary" alone is [▁, ▁Mary]; as an answer after a prompt it
     * is [▁Mary], the token the model predicts. Text without a leading space is encoded alone, as HF does.
     */
    @Test
    void anAnswerWithALeadingSpaceIsReadAsItContinuesItsPromptUnderAPrependingTokenizer() throws Exception {
        TinyTokenizer.writeSentencePiece(dir, "Mary", "John", "to");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            int[] prompt = tokenizer.encode("John gave it to Mary");
            int maryInContext = prompt[prompt.length - 1];
            assertEquals(java.util.List.of("\u2581Mary"), tokenizer.pieces("Mary"));
            assertEquals(2, tokenizer.encode(" Mary").length); // the artefact the continuation avoids
            assertArrayEquals(new int[] {maryInContext}, tokenizer.encodeContinuation(" Mary"));
            assertEquals(maryInContext, tokenizer.singleToken(" Mary"));
            assertEquals(maryInContext, tokenizer.singleToken("Mary")); // HF's own reading of text alone
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.singleToken(" Moe"));
            // the vocabulary's spelling, not decoded pieces that hide the '▁'
            assertEquals("' Moe' is 3 tokens ['\u2581M', 'o', '<0x65>'], not one", e.getMessage()); // 'e' falls back to its byte
        }
        TinyTokenizer.write(dir);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            // byte-level BPE: the continuation is the text alone
            assertArrayEquals(tokenizer.encode(" Mary"), tokenizer.encodeContinuation(" Mary"));
            assertArrayEquals(tokenizer.encode(" Mary went"), tokenizer.encodeContinuation(" Mary went"));
        }
    }

    @Test
    void theUnknownTokenIsReadFromTheFileAndByteLevelTokenizersHaveNone() throws Exception {
        TinyTokenizer.writeWordLevel(dir, "the", "cat");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            assertEquals(java.util.OptionalInt.of(0), tokenizer.unknownId());
            assertArrayEquals(new int[] {1, 0, 2}, tokenizer.encode("the dog cat"));
        }
        TinyTokenizer.write(dir);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            assertEquals(java.util.OptionalInt.empty(), tokenizer.unknownId());
        }
    }

    @Test
    void malformedTokenizerFileNamesTheFile() throws Exception {
        Path bad = dir.resolve("tokenizer.json");
        Files.writeString(bad, "{\"model\": 3}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfTokenizer.load(bad, false));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }
}
