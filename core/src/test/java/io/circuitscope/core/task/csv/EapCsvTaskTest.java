package io.circuitscope.core.task.csv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.UnequalPromptLengthsException;
import io.circuitscope.core.testing.TinyTokenizer;
import io.circuitscope.core.tokenize.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading an EAP-IG task CSV as a library call, without the command line (make-task --from-csv's own tests,
 * in circuits, cover every refusal through the CLI).
 */
class EapCsvTaskTest {
    @TempDir
    static Path dir;
    static int vocab;
    static HfTokenizer tokenizer;

    @BeforeAll
    static void writeTokenizer() throws Exception {
        vocab = TinyTokenizer.write(dir);
        tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"), false);
    }

    @AfterAll
    static void closeTokenizer() {
        tokenizer.close();
    }

    static int id(String singleToken) {
        return tokenizer.singleToken(singleToken);
    }

    @Test
    void idColumnsBecomeOneTargetPerRowAndOtherColumnsAreIgnored() throws Exception {
        Path csv = Files.writeString(dir.resolve("ioi.csv"), ",clean,corrupted,correct_idx,incorrect_idx\n"
                + "0,Mary went,John went," + id(" Mary") + "," + id(" John") + "\n");
        EapCsvTask.Imported imported = new EapCsvTask(tokenizer, vocab, 32, false)
                .read(csv, EapAnswerColumns.Reading.AUTO);
        assertEquals("ioi", imported.task().name());
        assertEquals(List.of("(unnamed)"), imported.ignoredColumns());
        Example only = imported.task().examples().get(0);
        assertArrayEquals(tokenizer.encode("Mary went"), only.clean());
        assertEquals(new Target(-1, id(" Mary"), id(" John")), only.targets().get(0));
    }

    @Test
    void promptsOfDifferentLengthsAreRefusedUnlessAligned() throws Exception {
        Path csv = Files.writeString(dir.resolve("uneven.csv"), "clean,corrupted,correct_idx\n"
                + "Mary went,Mary went to the store," + id(" Mary") + "\n");
        // the caller adds how its user asks for alignment (make-task: "or pass --align")
        UnequalPromptLengthsException e = assertThrows(UnequalPromptLengthsException.class,
                () -> new EapCsvTask(tokenizer, vocab, 32, false).read(csv, EapAnswerColumns.Reading.AUTO));
        assertTrue(e.getMessage().startsWith(csv + ":2: row 1, column 'corrupted' is ")
                && e.getMessage().endsWith("make them the same length"), e.getMessage());
        Example aligned = new EapCsvTask(tokenizer, vocab, 32, true).read(csv, EapAnswerColumns.Reading.AUTO)
                .task().examples().get(0);
        assertEquals(aligned.clean().length, aligned.corrupt().length);
    }

    /** Years or token ids: the library asks in words; make-task names its --answers option instead. */
    @Test
    void twoDigitAnswersWithoutAWrongAnswerAreRefusedUntilTheCallerSaysHowToReadThem() throws Exception {
        Path csv = Files.writeString(dir.resolve("years.csv"), "clean,corrupted,correct_idx\n"
                + "The year 1352 to 13,The year 1301 to 13,52\n");
        AmbiguousAnswersException e = assertThrows(AmbiguousAnswersException.class,
                () -> new EapCsvTask(tokenizer, vocab, 32, false).read(csv, EapAnswerColumns.Reading.AUTO));
        assertTrue(e.getMessage().startsWith(csv + ": every 'correct_idx' is a number from 0 to 99")
                && e.getMessage().endsWith("or token ids? Say which way to read them (as years or as token ids)"),
                e.getMessage());
        assertTrue(e.sayWhich("--answers years", "--answers ids").getMessage()
                .endsWith("or token ids? Say which: --answers years or --answers ids"));
    }
}
