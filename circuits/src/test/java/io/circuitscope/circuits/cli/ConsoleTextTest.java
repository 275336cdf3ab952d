package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An error quotes what it read; a control character in that (an ESC starting a terminal escape sequence, a NUL, a
 * carriage return) reached the terminal raw, which acted on it: ESC[2J cleared the screen over the error.
 */
class ConsoleTextTest {
    @TempDir
    Path dir;

    @Test
    void controlCharactersAreShownEscapedAndPlainTextIsUnchanged() {
        assertEquals("a\\u001B[2Jb\\u0000c\\u000Dd\te", ConsoleText.escapeControls("a\u001b[2Jb\u0000c\rd\te"));
        String plain = "edge 'a0.h1->m0' (é, 名前) is fine";
        assertTrue(plain == ConsoleText.escapeControls(plain), "nothing to escape: the same string");
    }

    @Test
    void aUsageErrorAndARunErrorPrintNoControlCharacter() throws Exception {
        CliRun usage = run("discover", "--metric", "kl\u001b[2J", "--no-render", "--no-validate");
        assertEquals(2, usage.code(), usage.err());
        assertTrue(usage.err().contains("kl\\u001B["), usage.err());
        assertNoControlCharacter(usage.err());

        // a circuit file whose edge name holds ESC[2J (written escaped, as JSON allows): the error quotes the name
        Path circuit = dir.resolve("circuit.json");
        Files.writeString(circuit, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"n_layers\": 1, \"n_heads\": 1}, "
                + "\"edges\": {\"a\\u001b[2Jb\": {\"score\": 1, \"in_graph\": true}}}");
        CliRun failed = run("render", circuit.toString(), "--out", dir.resolve("out").toString());
        assertEquals(1, failed.code(), failed.err());
        assertTrue(failed.err().contains("edge 'a\\u001B[2Jb' does not exist"), failed.err());
        assertNoControlCharacter(failed.err());
    }

    private static void assertNoControlCharacter(String text) {
        assertFalse(text.chars().anyMatch(c -> Character.getType(c) == Character.CONTROL && c != '\n' && c != '\t'),
                text.replace("\u001b", "<ESC>").replace("\u0000", "<NUL>"));
    }
}
