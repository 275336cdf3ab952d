package io.circuitscope.core.tokenize;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged tokenizer.json is refused naming the file, found by CheckpointFuzzTest. The tokenizers library
 * panics on some of them, which aborted the JVM ("fatal runtime error: failed to initiate panic"), so the first
 * two tests killed the test process on the old code; the others failed with the library's bare errors.
 */
class DamagedTokenizerTest {
    @TempDir
    Path dir;

    private Path damaged(String from, String to) throws Exception {
        TinyTokenizer.write(dir);
        Path file = dir.resolve("tokenizer.json");
        String text = Files.readString(file);
        assertTrue(text.contains(from), "the tokenizer file has no " + from);
        return Files.writeString(file, text.replace(from, to));
    }

    private static void assertRefused(Path file, String... parts) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfTokenizer.load(file, false).close());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }

    @Test
    void aSyntaxErrorInsideTheDecoderIsRefusedNotAJvmAbort() throws Exception {
        // one flipped bit turned a key's opening quote into a digit: the library panicked deserialising the decoder
        Path file = damaged("\"decoder\":{\"type\"", "\"decoder\":{1type\"");
        assertRefused(file, "not valid JSON", "expected a key in double quotes");
    }

    @Test
    void aDecoderGivenTwiceIsRefusedNotAJvmAbort() throws Exception {
        // the library reads the first (a lone surrogate, which it cannot parse: a panic), Jackson the last
        Path file = damaged("\"decoder\":{", "\"decoder\":\"\\ud800\",\"decoder\":{");
        assertRefused(file, "not valid JSON", "decoder", "twice");
    }

    @Test
    void aLoneSurrogateIsRefusedNamingWhereItIs() throws Exception {
        Path file = damaged("\"decoder\":{\"type\":\"ByteLevel\"", "\"decoder\":{\"type\":\"\\ud800\"");
        assertRefused(file, "'/decoder/type'", "surrogate");
    }

    @Test
    void aNumberBeyondADoubleIsRefusedNamingWhereItIs() throws Exception {
        Path file = damaged("\"decoder\":{\"type\":\"ByteLevel\"", "\"decoder\":{\"x\":1e999,\"type\":\"ByteLevel\"");
        assertRefused(file, "'/decoder/x'", "beyond the range of a double");
    }

    @Test
    void anUnknownTokenMissingFromTheVocabularyIsRefusedNamingTheFileWhenEncoding() throws Exception {
        TinyTokenizer.writeWordLevel(dir, " Mary", " John");
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, Files.readString(file).replace("\"[UNK]\":0,", ""));
        try (HfTokenizer tokenizer = HfTokenizer.load(file, false)) {
            // the library's own words were all the user saw: "WordLevel error: Missing [UNK] token from the vocabulary"
            CheckpointException e = assertThrows(CheckpointException.class, () -> tokenizer.encode("Mary and Bob"));
            assertTrue(e.getMessage().startsWith(file + ": the tokenizer cannot encode 'Mary and Bob'"), e.getMessage());
            assertTrue(e.getMessage().contains("Missing [UNK] token"), e.getMessage());
        }
    }

    @Test
    void aTokenIdBeyondAnIntIsRefusedNamingTheFile() throws Exception {
        Path file = damaged("\"A\":65,", "\"A\":2147483649,");
        try (HfTokenizer tokenizer = HfTokenizer.load(file, false)) {
            // was a bare ArithmeticException "integer overflow" from Math.toIntExact
            CheckpointException e = assertThrows(CheckpointException.class, () -> tokenizer.encode("A"));
            assertTrue(e.getMessage().contains(file + ": the tokenizer gives token id 2147483649 for 'A'"),
                    e.getMessage());
        }
    }
}
