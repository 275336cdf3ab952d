package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyTokenizer;
import io.circuitscope.core.tokenize.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** make-task --from-csv: task CSVs as EAP-IG keeps them, on a tiny GPT-2 with a byte-level tokenizer. */
class MakeTaskFromCsvTest {
    static final int BOS = 0;
    static final String IOI_HEADER = ",clean,corrupted,corrupted_hard,correct_idx,incorrect_idx\n";
    static final List<String> MISSING_YEARS = List.of("07", "42");

    @TempDir
    static Path dir;
    static Path model;
    static int vocab;
    static HfTokenizer tokenizer;

    @BeforeAll
    static void writeModel() throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        // every two-digit year is one token except 07 and 42, which Greater-Than's answer sets must leave out
        List<String> words = new java.util.ArrayList<>(List.of(" Mary", " John", " Alice"));
        IntStream.range(0, 100).mapToObj(y -> String.format("%02d", y)).filter(y -> !MISSING_YEARS.contains(y))
                .forEach(words::add);
        vocab = TinyTokenizer.write(model, words.toArray(String[]::new));
        TinyCheckpoint checkpoint = TinyCheckpoint.gpt2(41, 2, 2, 8, vocab, 96, false);
        checkpoint.config().put("bos_token_id", BOS); // GPT-2's config names its <|endoftext|> so
        checkpoint.write(model, TensorDtype.F32);
        tokenizer = HfTokenizer.load(model.resolve("tokenizer.json"), false);
    }

    @AfterAll
    static void closeTokenizer() {
        tokenizer.close();
    }

    static int id(String singleToken) {
        return tokenizer.singleToken(singleToken);
    }

    static int[] withBos(String text) {
        return IntStream.concat(IntStream.of(BOS), IntStream.of(tokenizer.encode(text))).toArray();
    }

    static Path csv(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    static Task readBack(Path jsonl) {
        return TaskFile.read(jsonl, tokenizer, false, vocab, 96);
    }

    /** The form of EAP-IG's ioi_llama.csv: pandas' unnamed index column, quoted prompts, ids, an unused column. */
    @Test
    void ioiRowsBecomeIdPromptsWithBosAndTheirAnswerPair() throws Exception {
        String clean1 = "When Mary and John went out, John gave it to";
        String corrupt1 = "When Mary and John went out, Alice gave it to";
        String clean2 = "When John and Mary went out, Mary gave it to";
        String corrupt2 = "When John and Mary went out, Alice gave it to";
        Path in = csv("ioi.csv", IOI_HEADER
                + "7,\"" + clean1 + "\",\"" + corrupt1 + "\",\"unused\"," + id(" Mary") + "," + id(" John") + "\n"
                + "3,\"" + clean2 + "\",\"" + corrupt2 + "\",\"unused\",[" + id(" John") + "]," + id(" Mary") + "\n");
        Path out = dir.resolve("ioi.jsonl");
        CliRun r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 2 examples from " + in + " to " + out), r.out());
        assertTrue(r.out().contains("'correct_idx'/'incorrect_idx' read as token ids; BOS: token id 0; "
                + "ignored columns: (unnamed), corrupted_hard"), r.out());

        Task task = readBack(out);
        assertEquals(2, task.size());
        Example first = task.examples().get(0);
        assertArrayEquals(withBos(clean1), first.clean());
        assertArrayEquals(withBos(corrupt1), first.corrupt());
        assertEquals(new Target(-1, id(" Mary"), id(" John")), first.targets().get(0));
        Example second = task.examples().get(1);
        assertArrayEquals(withBos(clean2), second.clean());
        assertEquals(new Target(-1, id(" John"), id(" Mary")), second.targets().get(0), "a one-element list is its id");

        assertDiscoverWritesACircuit(out, "eap-ig", "logit-diff", "10");
    }

    /** make-task --from-csv ioi.csv --out ioi.csv wrote the task over the CSV (exit 0): the CSV was lost. */
    @Test
    void anOutThatIsTheCsvIsRefusedAndTheCsvKept() throws Exception {
        String content = IOI_HEADER + "0,\"When Mary and John went out, John gave it to\",\"When Mary and John went out, "
                + "Alice gave it to\",\"unused\"," + id(" Mary") + "," + id(" John") + "\n";
        Path in = csv("same.csv", content);
        CliRun r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--out", in.toString());
        assertEquals(2, r.code(), r.out());
        assertEquals("error: --out " + in + " and --from-csv " + in + " name the same file: the task would replace the "
                + "CSV it is converted from; give --out another file", r.err().lines().findFirst().orElseThrow());
        Path link = Files.createSymbolicLink(dir.resolve("same-link.jsonl"), in.getFileName());
        r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--out", link.toString());
        assertEquals(2, r.code(), r.out());
        assertEquals(content, Files.readString(in));
    }

    /** The imported task is usable as it is: discover runs on it and writes circuit.json. */
    private void assertDiscoverWritesACircuit(Path task, String method, String metric, String edges) throws Exception {
        Path run = dir.resolve(method + "-" + metric + "-run");
        CliRun found = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", method,
                "--metric", metric, "--edges", edges, "--bootstrap", "20", "--out", run.toString(), "--quiet");
        assertEquals(0, found.code(), found.err());
        assertTrue(Files.isRegularFile(run.resolve("circuit.json")));
    }

    @Test
    void noBosLeavesThePromptAsTokenizedAndAnAbsentIncorrectColumnLeavesNoWrongAnswer() throws Exception {
        Path in = csv("no-wrong.csv", "clean,corrupted,correct_idx\nMary went,John went," + id(" Mary") + "\n");
        Path out = dir.resolve("no-wrong.jsonl");
        CliRun r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--no-bos",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(no wrong answers); BOS: none)"), r.out());
        Example e = readBack(out).examples().get(0);
        assertArrayEquals(tokenizer.encode("Mary went"), e.clean());
        assertNull(e.targets().get(0).wrongId());
    }

    /**
     * EAP-IG's greater_than_data.csv: 'label' is the start year's last two digits, not a token id. It becomes the
     * answer sets EAP-IG's prob_diff compares: the years after YY against the years up to YY (years that are not
     * one token left out); discover then runs on it with prob-diff.
     */
    @Test
    void greaterThanLabelBecomesTheYearsAfterItAgainstTheRest() throws Exception {
        String clean = "The war lasted from the year 1352 to the year 13";
        Path in = csv("gt.csv", "clean,corrupted,label\n" + clean + ",The war lasted from the year 1301 to the year 13,52\n"
                + "The war lasted from the year 1300 to the year 13,The war lasted from the year 1301 to the year 13,0\n");
        Path out = dir.resolve("gt.jsonl");
        CliRun r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("'label' read as Greater-Than's start year YY: correct = the years after YY, wrong = "
                + "the years up to YY (answer sets; prob-diff is the paper's metric)"), r.out());
        Example e = readBack(out).examples().get(0);
        assertArrayEquals(withBos(clean), e.clean());
        List<Integer> later = new java.util.ArrayList<>();
        List<Integer> notLater = new java.util.ArrayList<>();
        for (int y = 0; y < 100; y++) {
            String year = String.format("%02d", y);
            if (!MISSING_YEARS.contains(year)) {
                (y > 52 ? later : notLater).add(id(year));
            }
        }
        assertEquals(new Target(-1, later, notLater), e.targets().get(0));
        assertEquals(51, notLater.size(), "00..52 without 07 and 42");
        assertEquals(List.of(id("00")), readBack(out).examples().get(1).targets().get(0).wrongIds(), "label 0: only 00 is not later");

        assertDiscoverWritesACircuit(out, "eap", "prob-diff", "5");
    }

    /**
     * The EAP-IG authors' greater-than CSV (eap-ig-faithfulness) keeps the start years in 'correct_idx'. Read as
     * token ids, 52 would be token 52: such a file is refused until --answers says what the column holds.
     */
    @Test
    void yearsInCorrectIdxAreReadAsYearsOnlyWhenSaid() throws Exception {
        String rows = "The war lasted from the year 1352 to the year 13,The war lasted from the year 1301 to the year 13,52\n"
                + "The war lasted from the year 1300 to the year 13,The war lasted from the year 1301 to the year 13,0\n";
        Path byLabel = dir.resolve("by-label.jsonl");
        assertEquals(0, run("make-task", "--from-csv", csv("gt-label.csv", "clean,corrupted,label\n" + rows).toString(),
                "--model", model.toString(), "--out", byLabel.toString()).code());
        Path in = csv("gt-idx.csv", "clean,corrupted,correct_idx\n" + rows);
        Path out = dir.resolve("gt-idx.jsonl");
        CliRun unsaid = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--out", out.toString());
        assertEquals(1, unsaid.code(), unsaid.out());
        assertTrue(unsaid.err().contains("Say which: --answers years or --answers ids"), unsaid.err());
        assertFalse(Files.exists(out));
        CliRun years = run("make-task", "--from-csv", in.toString(), "--answers", "years", "--model", model.toString(),
                "--out", out.toString());
        assertEquals(0, years.code(), years.err());
        assertTrue(years.out().contains("'correct_idx' read as Greater-Than's start year YY"), years.out());
        for (int i = 0; i < 2; i++) {
            Example expected = readBack(byLabel).examples().get(i);
            Example actual = readBack(out).examples().get(i);
            assertArrayEquals(expected.clean(), actual.clean());
            assertEquals(expected.targets(), actual.targets(), "row " + i);
        }
        CliRun ids = run("make-task", "--from-csv", in.toString(), "--answers", "ids", "--model", model.toString(),
                "--out", out.toString());
        assertEquals(0, ids.code(), ids.err());
        assertEquals(List.of(52), readBack(out).examples().get(0).targets().get(0).correctIds());
        Path withWrong = csv("gt-wrong.csv", "clean,corrupted,correct_idx,incorrect_idx\nA 13,B 13,52,7\n");
        CliRun mixed = run("make-task", "--from-csv", withWrong.toString(), "--answers", "years", "--model",
                model.toString(), "--out", out.toString());
        assertEquals(1, mixed.code(), mixed.out());
        assertTrue(mixed.err().contains("has an 'incorrect_idx' column, which holds token ids"), mixed.err());
        CliRun bad = run("make-task", "--from-csv", in.toString(), "--answers", "tokens", "--model", model.toString(),
                "--out", out.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--answers must be ids or years, got 'tokens'"), bad.err());
    }

    /** A list cell is an answer set, as EAP-IG sums the probabilities of its tokens. */
    @Test
    void aListOfIdsBecomesAnAnswerSet() throws Exception {
        Path in = csv("sets.csv", "clean,corrupted,correct_idx,incorrect_idx\nMary went,John went,\"[" + id(" Mary") + ", "
                + id(" Alice") + "]\"," + id(" John") + "\n");
        Path out = dir.resolve("sets.jsonl");
        CliRun r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(new Target(-1, List.of(id(" Mary"), id(" Alice")), List.of(id(" John"))),
                readBack(out).examples().get(0).targets().get(0));
    }

    @Test
    void alignLeftPadsTheShorterPrompt() throws Exception {
        Path in = csv("uneven.csv", "clean,corrupted,correct_idx,incorrect_idx\nMary went,Alice went away,"
                + id(" John") + "," + id(" Mary") + "\n");
        Path out = dir.resolve("uneven.jsonl");
        CliRun r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--out", out.toString());
        assertEquals(1, r.code(), r.out());
        int cleanLength = withBos("Mary went").length;
        int corruptLength = withBos("Alice went away").length;
        assertTrue(r.err().contains("error: " + in + ":2: row 1, column 'corrupted' is " + corruptLength
                + " tokens but 'clean' is " + cleanLength + "; patching compares them position by position: make them "
                + "the same length or pass --align"), r.err());
        assertFalse(Files.exists(out));

        r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--align", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        int[] clean = readBack(out).examples().get(0).clean();
        assertEquals(corruptLength, clean.length);
        int pad = corruptLength - cleanLength;
        for (int i = 0; i <= pad; i++) {
            assertEquals(BOS, clean[i], "left-padded with its own first token, the BOS");
        }
        assertEquals(tokenizer.encode("Mary went")[0], clean[pad + 1]);
    }

    /** Each bad input names file, line, row and column, writes nothing, and prints no stack trace. */
    @Test
    void badRowsAreRefusedNamingFileLineRowAndColumn() throws Exception {
        String ok = "Mary went,John went," + id(" Mary") + "," + id(" John") + "\n";
        String header = "clean,corrupted,correct_idx,incorrect_idx\n";
        // row 1 spans lines 2-4 (a newline in each quoted prompt), so row 2 starts on line 5
        String twoLineRow = "\"Mary\nwent\",\"John\nwent\"," + id(" Mary") + "," + id(" John") + "\n";
        refused("vocab.csv", header + twoLineRow + "Mary went,John went," + (vocab + 5) + "," + id(" John") + "\n",
                ":5: row 2, column 'correct_idx' is token id " + (vocab + 5) + ", outside the model's vocabulary [0, "
                        + vocab + ")");
        refused("negative.csv", header + "Mary went,John went,-3," + id(" John") + "\n",
                ":2: row 1, column 'correct_idx' is '-3', not a token id (a non-negative integer)");
        refused("list.csv", header + ok + "Mary went,John went,\"[" + id(" Mary") + ", " + id(" Mary") + "]\","
                + id(" John") + "\n", ":3: row 2, column 'correct_idx' lists token id " + id(" Mary")
                + " twice; EAP-IG would count its probability twice");
        refused("overlap.csv", header + "Mary went,John went,\"[" + id(" Mary") + ", " + id(" Alice") + "]\","
                + id(" Alice") + "\n", ":2: row 1, column 'incorrect_idx' lists token id " + id(" Alice")
                + ", a correct answer");
        refused("same.csv", header + "Mary went,John went," + id(" Mary") + "," + id(" Mary") + "\n",
                ":2: row 1, column 'incorrect_idx' is the correct answer's token id " + id(" Mary"));
        refused("empty-cell.csv", header + ok + ",John went," + id(" Mary") + "," + id(" John") + "\n",
                ":3: row 2, column 'clean' is empty");
        refused("ragged.csv", header + ok + "Mary went,John went," + id(" Mary") + "\n",
                ":3: row 2 has 3 fields but the header has 4 columns");
        refused("year.csv", "clean,corrupted,label\nThe year 1399 to 13,The year 1301 to 13,99\n",
                ":2: row 1, column 'label' is 99: no two-digit year that is one token of this tokenizer lies after it");
        refused("year-text.csv", "clean,corrupted,label\nThe year 1399 to 13,The year 1301 to 13,1399\n",
                ":2: row 1, column 'label' is '1399', not a year: Greater-Than's answer is the start year's last two "
                        + "digits (52 for 1352)");
        refused("long.csv", header + "\"" + "Mary ".repeat(100) + "\",\"" + "John ".repeat(100) + "\","
                + id(" Mary") + "," + id(" John") + "\n", ":2: row 1, column 'clean' is " + withBos("Mary ".repeat(100)).length
                + " tokens with BOS, longer than the model's context window of 96 tokens");
        refused("missing.csv", "clean,correct_idx\nMary went," + id(" Mary") + "\n",
                ": no 'corrupted' column (EAP-IG reads the prompts from 'clean' and 'corrupted'); the header has [clean, "
                        + "correct_idx]");
        refused("no-answer.csv", "clean,corrupted\nMary went,John went\n", ": no answer column: give 'correct_idx'");
        refused("both-answers.csv", "clean,corrupted,correct_idx,label\nMary went,John went,1,52\n",
                ": has both a 'correct_idx' and a 'label' column; keep one");
        refused("empty.csv", "", ": is empty (expected a header line");
        refused("header-only.csv", header, ": has a header line but no rows");
        // commons-csv's own words were "(startline 2) EOF reached before encapsulated token finished", "Invalid
        // character between encapsulated token and delimiter" and, for a column named twice, advice to use
        // CSVFormat.Builder.setDuplicateHeaderMode()
        refused("unclosed.csv", header + "\"Mary went,John went,1,2\n",
                ":2: is not valid CSV: a quote opened on this line is never closed (the file ends inside it)");
        refused("after-quote.csv", header + "\"Mary\" went,John went,1,2\n",
                ":2: is not valid CSV: a quoted field goes on after its closing quote (near character ");
        refused("twice.csv", "clean,clean,corrupted,correct_idx\nMary went,Mary,John went,1\n",
                ": is not valid CSV: the header names the column 'clean' twice");
    }

    private static void refused(String name, String content, String problem) throws Exception {
        Path in = csv(name, content);
        Path out = dir.resolve(name + ".jsonl");
        CliRun r = run("make-task", "--from-csv", in.toString(), "--model", model.toString(), "--out", out.toString());
        assertEquals(1, r.code(), name + ": " + r.out());
        assertTrue(r.err().startsWith("error: " + in + problem), name + ": " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(Files.exists(out), name + ": nothing written");
    }

    @Test
    void exactlyOneSourceAndOnlyItsOptions() throws Exception {
        Path in = csv("one.csv", "clean,corrupted,correct_idx\nMary went,John went," + id(" Mary") + "\n");
        String out = dir.resolve("x.jsonl").toString();
        CliRun r = run("make-task", "--from-csv", in.toString(), "--generator", "ioi", "--model", model.toString(),
                "--out", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("mutually exclusive"), r.err());
        r = run("make-task", "--model", model.toString(), "--out", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--generator") && r.err().contains("--from-csv"), r.err());
        r = run("make-task", "--from-csv", in.toString(), "--n", "5", "--model", model.toString(), "--out", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--n does not apply to --from-csv"), r.err());
        r = run("make-task", "--generator", "induction", "--align", "--model", model.toString(), "--out", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--align does not apply to --generator"), r.err());
        r = run("make-task", "--from-csv", in.toString(), "--model", "planted:ioi", "--out", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("planted:ioi: no tokenizer.json next to the model; a CSV's prompts are text"),
                r.err());
        assertFalse(Files.exists(Path.of(out)));
    }
}
