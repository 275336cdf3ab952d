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
        assertEquals("not valid JSON: expected a value (a string, number, array, object, true, false or null), found"
                + " ']' (line 2, column 8)", ReadErrors.describe(json));
    }

    /** Jackson's messages refer back into the text as "[Source: REDACTED (`StreamReadFeature...` disabled); ...]". */
    @Test
    void jsonSyntaxErrorsAreInPlainWordsWithoutJacksonsSourceOrFeatureNames() {
        assertEquals("the JSON ends before the object opened at line 1, column 1 is closed with '}' (line 2, column 8)",
                syntax("{\"a\": 1,\n \"b\": 2"));
        assertEquals("a closing ']' does not match the object opened at line 1, column 1 (line 1, column 8)",
                syntax("{\"a\": 1]"));
        assertEquals("'NaN' is not a JSON value (expected a string, number, array, object, true, false or null)"
                + " (line 1, column 10)", syntax("{\"a\": NaN}"));
        assertEquals("found '/': JSON has no comments (line 1, column 1)", syntax("// note\n{}"));
        assertEquals("expected a key in double quotes, found ''' (line 1, column 2)", syntax("{'a': 1}"));
        assertEquals("expected ',' or '}' after an object's value, found '\"' (line 1, column 9)",
                syntax("{\"a\": 1 \"b\": 2}"));
        assertEquals("a malformed number ('+' where a digit should be) (line 1, column 8)", syntax("{\"a\": +1}"));
        assertEquals("key 'a' appears twice (line 1, column 13)", JsonSyntax.describe(assertThrows(
                com.fasterxml.jackson.core.JsonProcessingException.class,
                () -> com.fasterxml.jackson.databind.json.JsonMapper.builder()
                        .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build()
                        .readTree("{\"a\": 1, \"a\": 2}")), false));
    }

    private static String syntax(String json) {
        com.fasterxml.jackson.core.JsonProcessingException e = assertThrows(
                com.fasterxml.jackson.core.JsonProcessingException.class,
                () -> new com.fasterxml.jackson.databind.ObjectMapper().readTree(json));
        return JsonSyntax.describe(e, false);
    }
}
