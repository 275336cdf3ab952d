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
