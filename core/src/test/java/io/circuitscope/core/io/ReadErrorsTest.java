package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.task.TaskFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Read failures say what is wrong with the file, not which exception the JDK threw. */
class ReadErrorsTest {
    @TempDir
    Path dir;

    @Test
    void aMissingFileANonUtf8FileAndBadJsonAreNamedPlainly() throws Exception {
        Path missing = dir.resolve("none.jsonl");
        TaskFileException none = assertThrows(TaskFileException.class, () -> TaskFile.read(missing, null, false));
        assertEquals(missing + ": cannot read task file: no such file", none.getMessage());

        Path latin1 = dir.resolve("latin1.jsonl");
        Files.write(latin1, new byte[] {'{', '"', (byte) 0xe9, '"', '}', '\n'});
        TaskFileException binary = assertThrows(TaskFileException.class, () -> TaskFile.read(latin1, null, false));
        assertEquals(latin1 + ": cannot read task file: not UTF-8 text", binary.getMessage()); // was "Input length = 1"

        com.fasterxml.jackson.core.JsonProcessingException json = assertThrows(
                com.fasterxml.jackson.core.JsonProcessingException.class,
                () -> new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\n  \"a\": ]"));
        String text = ReadErrors.describe(json);
        assertTrue(text.startsWith("not valid JSON: Unexpected character (']'") && text.endsWith("(line 2, column 8)"),
                text);
        assertTrue(!text.contains("REDACTED") && !text.contains("Source:"), text);
    }
}
