package io.circuitscope.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.tokenize.HfTokenizer;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskFileTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws Exception {
        Path f = dir.resolve("task.jsonl");
        Files.write(f, List.of(lines));
        return f;
    }

    private void assertError(Path f, String... parts) {
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(f, null, false));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void idFormRoundTrips() throws Exception {
        Path f = file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, \"correct_id\":5, \"wrong_id\":9}]}",
                "", "{\"clean_ids\":[7,8], \"corrupt_ids\":[6,8], \"targets\":[{\"position\":1, \"correct_id\":2, \"wrong_id\":null}]}");
        Task task = TaskFile.read(f, null, false);
        assertEquals(2, task.size());
        assertEquals("task", task.name());
        assertNull(task.examples().get(1).targets().get(0).wrongId());
        Path out = dir.resolve("out.jsonl");
        TaskFile.write(out, task);
        Task again = TaskFile.read(out, null, false);
        assertArrayEquals(task.examples().get(0).corrupt(), again.examples().get(0).corrupt());
        assertEquals(task.examples().get(0).targets(), again.examples().get(0).targets());
        assertEquals(2, task.batches(8).size(), "two prompt lengths give two batches");
    }

    @Test
    void textFormUsesTheTokenizerAndRequiresSingleTokenAnswers() throws Exception {
        TinyTokenizer.write(dir);
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            Path ok = file("{\"clean\":\"Hi Mary went\", \"corrupt\":\"Hi John went\", \"targets\":[{\"position\":-1, \"correct\":\" Mary\", \"wrong\":\" John\"}]}");
            Example e = TaskFile.read(ok, tok, false).examples().get(0);
            assertEquals(tok.singleToken(" Mary"), e.targets().get(0).correctId());
            Path multi = file("{\"clean\":\"Hi Mary\", \"corrupt\":\"Hi John\", \"targets\":[{\"position\":-1, \"correct\":\" Bob\"}]}");
            TaskFileException ex = assertThrows(TaskFileException.class, () -> TaskFile.read(multi, tok, false));
            assertTrue(ex.getMessage().contains(":1: field 'targets[0].correct' must be one token"), ex.getMessage());
        }
    }

    /** Text prompts begin with the model's BOS token, as TransformerLens and EAP-IG tokenize them; answers and ids do not. */
    @Test
    void textPromptsBeginWithTheModelsBosToken() throws Exception {
        TinyTokenizer.write(dir);
        int bos = TinyTokenizer.addSpecialToken(dir, "<|endoftext|>");
        try (HfTokenizer plain = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            HfTokenizer tok = plain.withBos(java.util.OptionalInt.of(bos));
            Path text = file("{\"clean\":\"Hi Mary went\", \"corrupt\":\"Hi John went\", \"targets\":[{\"position\":-1, "
                    + "\"correct\":\" Mary\", \"wrong\":\" John\"}]}");
            Example e = TaskFile.read(text, tok, false).examples().get(0);
            assertEquals(bos, e.clean()[0]);
            assertEquals(bos, e.corrupt()[0]);
            assertEquals(tok.encode("Hi Mary went").length + 1, e.clean().length);
            assertEquals(tok.singleToken(" Mary"), e.targets().get(0).correctId());
            Path ids = file("{\"clean_ids\":[5, 6], \"corrupt_ids\":[5, 7], \"targets\":[{\"position\":-1, \"correct_id\":3}]}");
            assertEquals(5, TaskFile.read(ids, tok, false).examples().get(0).clean()[0], "ids are used as given");
            Path empty = file("{\"clean\":\"\", \"corrupt\":\"\", \"targets\":[{\"position\":-1, \"correct\":\" Mary\"}]}");
            TaskFileException ex = assertThrows(TaskFileException.class, () -> TaskFile.read(empty, tok, false));
            assertTrue(ex.getMessage().contains("field 'clean' tokenizes to no tokens"), ex.getMessage());
        }
    }

    /** Text a word-level tokenizer does not know is refused, as the CSV import refuses it (it became [UNK] silently). */
    @Test
    void promptTextTheTokenizerDoesNotKnowIsRefused() throws Exception {
        TinyTokenizer.writeWordLevel(dir, "the", "cat", "sat");
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            Path f = file("{\"clean\":\"the cat sat\", \"corrupt\":\"the dog sat\", \"targets\":[{\"position\":-1, "
                    + "\"correct_id\":1}]}");
            TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(f, tok, false));
            assertTrue(e.getMessage().contains(":1: field 'corrupt' has text the tokenizer does not know (token 1 is [UNK])"),
                    e.getMessage());
        }
    }

    @Test
    void differentLengthsNameTheLineUnlessAligned() throws Exception {
        Path f = file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,3], \"targets\":[{\"position\":2, \"correct_id\":5}]}");
        assertError(f, "task.jsonl:1:", "3 tokens", "2 tokens");
        Example aligned = TaskFile.read(f, null, true).examples().get(0);
        assertArrayEquals(new int[] {1, 1, 3}, aligned.corrupt());
        assertEquals(2, aligned.targets().get(0).position());
    }

    /**
     * Positions count in the clean prompt as written, also when --align pads it: -4 and 3 are outside a 3-token
     * prompt. They were checked against the padded length, so -4 read the logits at a padding token (position 1 of
     * 5) and 3 was refused as "5 but the prompt has 5 tokens"; positions inside it still shift with the padding.
     */
    @Test
    void alignedTargetPositionsMustLieInTheCleanPromptAsWritten() throws Exception {
        for (String position : new String[] {"-4", "3"}) {
            Path f = file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[4,5,6,7,8], \"targets\":[{\"position\":" + position
                    + ", \"correct_id\":5}]}");
            TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(f, null, true));
            assertTrue(e.getMessage().contains("'targets[0].position' is " + position + " but the prompt has 3 tokens"),
                    e.getMessage());
        }
        Path f = file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[4,5,6,7,8], \"targets\":[{\"position\":-3, "
                + "\"correct_id\":5}, {\"position\":0, \"correct_id\":5}]}");
        Example aligned = TaskFile.read(f, null, true).examples().get(0);
        assertArrayEquals(new int[] {1, 1, 1, 2, 3}, aligned.clean());
        assertEquals(2, aligned.targets().get(0).resolvedPosition(5), "-3: the clean prompt's first token");
        assertEquals(2, aligned.targets().get(1).resolvedPosition(5), "0: the clean prompt's first token");
    }

    @Test
    void malformedLinesNameFileLineAndField() throws Exception {
        assertError(file("{\"clean_ids\":[1], \"corrupt_ids\":[2], \"targets\":[{\"position\":0, \"correct_id\":1}]}", "{oops"),
                "task.jsonl:2:", "not valid JSON");
        assertError(file("{\"corrupt_ids\":[2], \"targets\":[{\"position\":0, \"correct_id\":1}]}"), ":1:", "'clean_ids' is missing");
        assertError(file("{\"clean_ids\":[1], \"corrupt_ids\":[2], \"targets\":[{\"position\":0}]}"), "'targets[0].correct_id' is missing");
        assertError(file("{\"clean_ids\":[1], \"corrupt_ids\":[2], \"targets\":[{\"position\":3, \"correct_id\":1}]}"), "'targets[0].position' is 3");
        assertError(file("{\"clean_ids\":[1, -2], \"corrupt_ids\":[2, 3], \"targets\":[{\"position\":0, \"correct_id\":1}]}"), "'clean_ids' element 1");
        assertError(file("{\"clean\":\"a\", \"corrupt\":\"b\", \"targets\":[{\"position\":0, \"correct_id\":1}]}"), "no tokenizer");
        assertError(file("{\"clean_ids\":[1], \"corrupt_ids\":[2], \"targets\":[]}"), "'targets' must be a non-empty array");
        // a prompt that is neither text nor ids was called missing, naming the ids' field
        assertError(file("{\"clean\":12, \"corrupt_ids\":[2], \"targets\":[{\"position\":0, \"correct_id\":1}]}"),
                ":1:", "field 'clean' must be a string (the prompt's text), got 12");
        assertError(file("{\"clean_ids\":[1], \"corrupt\":[\"a\"], \"targets\":[{\"position\":0, \"correct_id\":1}]}"),
                "field 'corrupt' must be a string (the prompt's text), got [\"a\"]");
    }

    @Test
    void tokenIdsOutsideTheModelsVocabularyNameLineAndField() throws Exception {
        Path prompt = file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, \"correct_id\":5}]}",
                "{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,12], \"targets\":[{\"position\":-1, \"correct_id\":5}]}");
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(prompt, null, false, 10));
        assertTrue(e.getMessage().contains("task.jsonl:2: field 'corrupt_ids' element 2 is token id 12, outside the "
                + "model's vocabulary [0, 10)"), e.getMessage());
        assertEquals(2, TaskFile.read(prompt, null, false).size(), "without a vocabulary the ids are not checked here");
        Path answer = file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, \"correct_id\":5, \"wrong_id\":10}]}");
        e = assertThrows(TaskFileException.class, () -> TaskFile.read(answer, null, false, 10));
        assertTrue(e.getMessage().contains(":1: field 'targets[0].wrong_id' is token id 10, outside"), e.getMessage());
        assertEquals(1, TaskFile.read(answer, null, false, 11).size(), "id 10 is inside a vocabulary of 11");
        TinyTokenizer.write(dir);
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            Path text = file("{\"clean\":\"Hi Mary went\", \"corrupt\":\"Hi John went\", \"targets\":[{\"position\":-1, \"correct_id\":0}]}");
            int largest = java.util.Arrays.stream(tok.encode("Hi Mary went")).max().orElseThrow();
            e = assertThrows(TaskFileException.class, () -> TaskFile.read(text, tok, false, largest));
            assertTrue(e.getMessage().contains("field 'clean' tokenizes (token "), e.getMessage());
            assertTrue(e.getMessage().contains("to token id " + largest + ", outside"), e.getMessage());
        }
    }

    @Test
    void aWrongAnswerEqualToTheCorrectOneIsRefused() throws Exception {
        assertError(file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, \"correct_id\":5, \"wrong_id\":7}, "
                        + "{\"position\":1, \"correct_id\":5, \"wrong_id\":5}]}"),
                "task.jsonl:1:", "field 'targets[1].wrong_id' is the correct answer's token (id 5)");
        Path nullWrong = file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, \"correct_id\":5, \"wrong_id\":null}]}");
        assertNull(TaskFile.read(nullWrong, null, false).examples().get(0).targets().get(0).wrongId());
    }

    /** A prompt longer than the model's context window is refused at its line, not deep inside a forward pass. */
    @Test
    void aPromptLongerThanTheContextWindowIsRefusedAtItsLine() throws Exception {
        Path file = dir.resolve("long.jsonl");
        Files.writeString(file, "{\"clean_ids\": [1, 2], \"corrupt_ids\": [1, 3], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 4, \"wrong_id\": 5}]}\n"
                + "{\"clean_ids\": [1, 2, 3, 4, 5], \"corrupt_ids\": [1, 3, 3, 4, 5], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 4, \"wrong_id\": 5}]}\n");
        TaskFileException e = assertThrows(TaskFileException.class,
                () -> TaskFile.read(file, null, false, 10, 4));
        assertEquals(file + ":2: prompt is 5 tokens, longer than the model's context window of 4 tokens", e.getMessage());
        assertEquals(2, TaskFile.read(file, null, false, 10, 5).size());
    }

    /** A prompt or an answer given both as ids and as text is ambiguous: refused, naming both fields. */
    @Test
    void idsAndTextForTheSameThingAreRefused() throws Exception {
        Path file = dir.resolve("both.jsonl");
        Files.writeString(file, "{\"clean_ids\": [1, 2], \"corrupt_ids\": [1, 3], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 4, \"correct\": \" Mary\", \"wrong_id\": 5}]}\n");
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(file, null, false, 10));
        assertEquals(file + ":1: fields 'targets[0].correct_id' and 'targets[0].correct' both give it; keep one",
                e.getMessage());
        Files.writeString(file, "{\"clean_ids\": [1, 2], \"clean\": \"a b\", \"corrupt_ids\": [1, 3], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 4, \"wrong_id\": 5}]}\n");
        e = assertThrows(TaskFileException.class, () -> TaskFile.read(file, null, false, 10));
        assertTrue(e.getMessage().contains("fields 'clean_ids' and 'clean' both give it"), e.getMessage());
    }

    /** Answer sets (Greater-Than's years, EAP-IG's lists): ids or one-token strings, written back as they were read. */
    @Test
    void answerSetsAreReadAndWrittenBack() throws Exception {
        Path f = file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, \"correct_ids\":[5,6,7], "
                + "\"wrong_ids\":[8,9]}, {\"position\":0, \"correct_ids\":[5], \"wrong_id\":9}]}");
        Task task = TaskFile.read(f, null, false, 10);
        Target sets = task.examples().get(0).targets().get(0);
        assertEquals(List.of(5, 6, 7), sets.correctIds());
        assertEquals(List.of(8, 9), sets.wrongIds());
        assertTrue(sets.hasAnswerSets());
        assertThrows(IllegalStateException.class, sets::correctId, "a set is not read as its first token");
        Target single = task.examples().get(0).targets().get(1);
        assertEquals(new Target(0, 5, 9), single, "a list of one id is that token");
        Path out = dir.resolve("sets.jsonl");
        TaskFile.write(out, task);
        assertEquals(task.examples().get(0).targets(), TaskFile.read(out, null, false).examples().get(0).targets());
        assertTrue(Files.readString(out).contains("\"correct_ids\":[5,6,7],\"wrong_ids\":[8,9]"), Files.readString(out));
        assertNotEquals(io.circuitscope.core.Hashes.of(task), io.circuitscope.core.Hashes.of(new Task("task",
                List.of(new Example(new int[] {1, 2, 3}, new int[] {1, 4, 3}, List.of(new Target(-1, 5, 8)))))));

        TinyTokenizer.write(dir);
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            Path text = file("{\"clean\":\"Hi Mary went\", \"corrupt\":\"Hi John went\", \"targets\":[{\"position\":-1, "
                    + "\"correct\":[\" Mary\", \" John\"], \"wrong\":\" went\"}]}");
            Target t = TaskFile.read(text, tok, false).examples().get(0).targets().get(0);
            assertEquals(List.of(tok.singleToken(" Mary"), tok.singleToken(" John")), t.correctIds());
            Path bad = file("{\"clean\":\"Hi Mary\", \"corrupt\":\"Hi John\", \"targets\":[{\"position\":-1, "
                    + "\"correct\":[\" Mary\", \" Bob\"]}]}");
            TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(bad, tok, false));
            assertTrue(e.getMessage().contains(":1: field 'targets[0].correct[1]' must be one token"), e.getMessage());
        }
    }

    /** What an answer set may not be: empty, a token twice, a token on both sides, or given twice. */
    @Test
    void malformedAnswerSetsNameTheirField() throws Exception {
        String head = "{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, ";
        assertError(file(head + "\"correct_ids\":[]}]}"), "task.jsonl:1:",
                "field 'targets[0].correct_ids' must be a non-empty array of token ids");
        assertError(file(head + "\"correct_ids\":[5,6,5]}]}"), "field 'targets[0].correct_ids' element 2 repeats token id 5");
        assertError(file(head + "\"correct_ids\":[5,6], \"wrong_ids\":[7,6]}]}"),
                "field 'targets[0].wrong_ids' lists token id 6, a correct answer");
        assertError(file(head + "\"correct_ids\":[5,6], \"correct_id\":5}]}"),
                "fields 'targets[0].correct_id' and 'targets[0].correct_ids' both give it; keep one");
        assertError(file(head + "\"correct_ids\":[5,\"x\"]}]}"),
                "field 'targets[0].correct_ids' element 1 is not a non-negative integer: \"x\"");
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(file(head
                + "\"correct_ids\":[5,60]}]}"), null, false, 50));
        assertTrue(e.getMessage().contains("field 'targets[0].correct_ids' element 1 is token id 60, outside the model's "
                + "vocabulary [0, 50)"), e.getMessage());
    }

    /** Jackson's asInt wraps: 4294967297 was read as id 1 and position 4294967295 as -1, the last token. */
    @Test
    void integersTooLargeForAnIntAreRefusedAndQuotedAsWritten() throws Exception {
        String head = "{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, ";
        TaskFileException e = assertThrows(TaskFileException.class,
                () -> TaskFile.read(file(head + "\"correct_id\":4294967297}]}"), null, false, 28));
        assertTrue(e.getMessage().endsWith("task.jsonl:1: field 'targets[0].correct_id' is token id 4294967297, "
                + "outside the model's vocabulary [0, 28)"), e.getMessage());
        assertError(file(head + "\"correct_id\":4294967297}]}"),
                "field 'targets[0].correct_id' is token id 4294967297, larger than any vocabulary");
        assertError(file(head + "\"correct_id\":1, \"wrong_ids\":[2, 99999999999999999999999]}]}"),
                "field 'targets[0].wrong_ids' element 1 is token id 99999999999999999999999, larger than any vocabulary");
        assertError(file(head + "\"correct_id\":1, \"wrong_id\":-4294967295}]}"),
                "field 'targets[0].wrong_id' is not a non-negative integer: -4294967295");
        e = assertThrows(TaskFileException.class, () -> TaskFile.read(file(
                "{\"clean_ids\":[0,99999999999,2], \"corrupt_ids\":[0,3,2], \"targets\":[{\"position\":-1, \"correct_id\":1}]}"),
                null, false, 28));
        assertTrue(e.getMessage().contains("field 'clean_ids' element 1 is token id 99999999999, outside"), e.getMessage());
        assertError(file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":4294967295, "
                + "\"correct_id\":1}]}"), "field 'targets[0].position' is 4294967295 but the prompt has 3 tokens");
        assertError(file("{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"noise_positions\":[4294967296], "
                + "\"targets\":[{\"position\":-1, \"correct_id\":1}]}"),
                "field 'noise_positions' element 0 is not a position inside the prompt: 4294967296");
        assertError(file(head.replace("-1", "1.5") + "\"correct_id\":1}]}"),
                "field 'targets[0].position' is not an integer: 1.5");
    }

    /**
     * --align shifts noise positions by the clean prompt's padding: 2147483647 plus a shift of 1 wrapped round to a
     * negative int and passed the check against the prompt's length, becoming noise position -2147483648.
     */
    @Test
    void aNoisePositionNearTheLargestIntIsRefusedWhenAligned() throws Exception {
        Path f = file("{\"clean_ids\":[1,2], \"corrupt_ids\":[1,4,3], \"noise_positions\":[2147483647], "
                + "\"targets\":[{\"position\":-1, \"correct_id\":1}]}");
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(f, null, true));
        assertTrue(e.getMessage().contains("field 'noise_positions' element 0 is not a position inside the prompt: "
                + "2147483647"), e.getMessage());
    }

    /**
     * A prompt or answer holding half a surrogate pair ("\\ud800" alone, which JSON allows) was tokenized as three
     * U+FFFD bytes without a word; Hugging Face's Python tokenizers refuse such text.
     */
    @Test
    void textHoldingHalfASurrogatePairIsRefusedAtItsField() throws Exception {
        TinyTokenizer.write(dir);
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            Path f = file("{\"clean\": \"Mary went\\ud800\", \"corrupt\": \"John went\", \"targets\": [{\"position\": -1, "
                    + "\"correct_id\": 1}]}");
            TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(f, tok, true));
            assertTrue(e.getMessage().contains(f + ":1: field 'clean' holds half of a UTF-16 surrogate pair"),
                    e.getMessage());
            Path g = file("{\"clean\": \"Mary went\", \"corrupt\": \"John went\", \"targets\": [{\"position\": -1, "
                    + "\"correct\": \"\\udc00\"}]}");
            e = assertThrows(TaskFileException.class, () -> TaskFile.read(g, tok, false));
            assertTrue(e.getMessage().contains(g + ":1: field 'targets[0].correct' must be one token: holds half of a "
                    + "UTF-16 surrogate pair"), e.getMessage());
        }
    }

    /** Prompts with [UNK] were refused, answers were not: "zebra" was scored as whatever [UNK]'s logit was. */
    @Test
    void anAnswerTheTokenizerDoesNotKnowIsRefused() throws Exception {
        TinyTokenizer.writeWordLevel(dir, "the", "cat", "sat", "dog");
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            String head = "{\"clean\":\"the cat sat\", \"corrupt\":\"the dog sat\", \"targets\":[{\"position\":-1, ";
            Path one = file(head + "\"correct\":\"zebra\", \"wrong\":\"dog\"}]}");
            TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(one, tok, false));
            assertTrue(e.getMessage().endsWith("task.jsonl:1: field 'targets[0].correct' is 'zebra', text the tokenizer "
                    + "does not know (it is [UNK])"), e.getMessage());
            Path set = file(head + "\"correct\":\"cat\", \"wrong\":[\"dog\", \"zebra\"]}]}");
            e = assertThrows(TaskFileException.class, () -> TaskFile.read(set, tok, false));
            assertTrue(e.getMessage().contains("field 'targets[0].wrong[1]' is 'zebra', text the tokenizer does not know"),
                    e.getMessage());
            assertEquals(1, TaskFile.read(file(head + "\"correct\":\"cat\", \"wrong\":\"dog\"}]}"), tok, false).size());
        }
    }

    /** Read loosely, trailing text passed, a second object was dropped and a misspelled key was ignored. */
    @Test
    void aLineIsOneObjectWithOnlyTaskFileKeys() throws Exception {
        String line = "{\"clean_ids\":[1,2,3], \"corrupt_ids\":[1,4,3], \"targets\":[{\"position\":-1, \"correct_id\":5, "
                + "\"wrong_id\":7}]}";
        assertError(file(line + " garbage"), "task.jsonl:1: has 'garbage' after the example's closing '}' at column "
                + line.length() + " (one example per line)");
        assertError(file(line + line), "task.jsonl:1: has a second JSON object after the example's closing '}'");
        assertError(file(line.replace("\"wrong_id\"", "\"wrong_idx\"")), "task.jsonl:1: field 'targets[0].wrong_idx' is "
                + "not a key of a target (the keys are position, correct_id, correct_ids, correct, wrong_id, wrong_ids, wrong)");
        assertError(file(line.replace("}]}", "}], \"note\": \"x\"}")), "task.jsonl:1: field 'note' is not a key of an "
                + "example (the keys are clean_ids, clean, corrupt_ids, corrupt, targets, noise_positions)");
        assertError(file(line.replace("\"wrong_id\":7", "\"wrong_id\":7, \"wrong_id\":8")),
                "task.jsonl:1: is not valid JSON: key 'wrong_id' appears twice (column ");
        assertError(file("[" + line + "]"), "task.jsonl:1: is not a JSON object");

        // Everything the writer puts out reads back: noise positions and answer sets included.
        Path written = dir.resolve("written.jsonl");
        TaskFile.write(written, new Task("t", List.of(new Example(new int[] {1, 2, 3}, new int[] {1, 4, 3},
                List.of(new Target(-1, List.of(5, 6), List.of(7)), new Target(1, 5, null)), new int[] {1}))));
        assertEquals(2, TaskFile.read(written, null, false).examples().get(0).targets().size());
    }

    /** Editors on Windows start UTF-8 files with a byte-order mark; circuit.json, plans and CSV skipped it already. */
    /** trim() took NUL bytes for blanks: a line of them was skipped, and one before an example ignored. */
    @Test
    void aLineOfNulBytesIsNotABlankLine() throws Exception {
        String ok = "{\"clean_ids\":[1], \"corrupt_ids\":[2], \"targets\":[{\"position\":0, \"correct_id\":1}]}";
        assertError(file(ok, "\u0000\u0000\u0000"), "task.jsonl:2:", "not valid JSON", "CTRL-CHAR, code 0");
        assertError(file(ok, "\u0000" + ok), "task.jsonl:2:", "not valid JSON");
        assertEquals(1, TaskFile.read(file(ok, " \t"), null, false).size(), "blank lines are still skipped");
    }

    @Test
    void aByteOrderMarkBeforeTheFirstLineIsSkipped() throws Exception {
        Path f = dir.resolve("bom.jsonl");
        Files.write(f, ("\uFEFF{\"clean_ids\":[1,2], \"corrupt_ids\":[1,3], \"targets\":[{\"position\":-1, "
                + "\"correct_id\":5}]}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(5, TaskFile.read(f, null, false).examples().get(0).targets().get(0).correctId());
    }

    /** Jackson's message referred back into the line as "[Source: REDACTED (`StreamReadFeature...` disabled); ...]". */
    @Test
    void badJsonIsDescribedInPlainWordsWithItsColumn() throws Exception {
        Path f = file("{\"clean_ids\":[1], \"corrupt_ids\":[2], \"targets\":[{\"position\":0, \"correct_id\":1}]}",
                "{\"clean_ids\": [0,1,2");
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFile.read(f, null, false));
        assertEquals(f + ":2: is not valid JSON: the line ends before the array opened at column 15 is closed with "
                + "']' (column 21)", e.getMessage());
    }
}
