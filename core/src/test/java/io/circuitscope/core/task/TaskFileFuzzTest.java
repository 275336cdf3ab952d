package io.circuitscope.core.task;

import io.circuitscope.core.task.csv.EapAnswerColumns;
import io.circuitscope.core.task.csv.EapCsvTask;
import io.circuitscope.core.testing.FileMutations;
import io.circuitscope.core.testing.FileMutations.Mutated;
import io.circuitscope.core.testing.FuzzCheck;
import io.circuitscope.core.testing.TinyTokenizer;
import io.circuitscope.core.tokenize.HfTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzz tests of the task readers (JSON Lines and EAP-IG CSV): a valid file, damaged at random, is either read or
 * refused with a {@link TaskFileException} naming the file; never another exception or a hang. Seeds are fixed.
 */
class TaskFileFuzzTest {
    private static final int CONTEXT = 24;
    private static Path dir;
    private static HfTokenizer tokenizer;
    private static int vocab;

    @BeforeContainer
    static void writeTokenizer() throws IOException {
        dir = Files.createTempDirectory("cs-task-fuzz");
        vocab = TinyTokenizer.write(dir);
        tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"), false);
    }

    @AfterContainer
    static void close() throws IOException {
        tokenizer.close();
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String validJsonl() {
        int mary = tokenizer.singleToken(" Mary");
        int john = tokenizer.singleToken(" John");
        return "# a comment\n"
                + "{\"clean_ids\": [1, 5, 9], \"corrupt_ids\": [1, 7, 9], \"targets\": [{\"position\": -1, "
                + "\"correct_id\": 5, \"wrong_id\": 7}], \"noise_positions\": [0, 1]}\n"
                + "\n"
                + "{\"clean\": \"When Mary and John went to the store, John\", \"corrupt\": \"When John and Mary went to "
                + "the store, Mary\", \"targets\": [{\"position\": -1, \"correct\": \" Mary\", \"wrong\": \" John\"}]}\n"
                + "{\"clean_ids\": [3, 4], \"corrupt_ids\": [3, 6], \"targets\": [{\"position\": 1, \"correct_ids\": ["
                + mary + ", 8], \"wrong_ids\": [" + john + "]}, {\"position\": 0, \"correct\": [\" Mary\", \" John\"]}]}\n";
    }

    static void readOrRefuse(String what, Path file, FuzzCheck.Reading read) {
        FuzzCheck.readOrRefuse(what, TaskFileException.class, FuzzCheck.names(file.getFileName()), read);
    }

    @Property(tries = 500, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261212")
    void damagedTaskFileIsReadOrRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        String valid = validJsonl();
        Mutated m = rng.nextInt(3) == 0 ? FileMutations.bytes(valid.getBytes(StandardCharsets.UTF_8), rng)
                : FileMutations.jsonLine(valid, rng);
        Path file = Files.write(dir.resolve("task.jsonl"), m.bytes());
        boolean align = rng.nextBoolean();
        readOrRefuse("seed " + seed + " (align " + align + "): " + m.what(), file,
                () -> TaskFile.read(file, tokenizer, align, vocab, CONTEXT));
    }

    /** A number in the CSV (an id, a year, a row index) replaced by an odd cell. */
    private static Mutated cellMutation(String csv, Random rng) {
        String[] odd = {"-1", "0", "2147483648", "99999999999999999999", "1e308", "NaN", "1.5", "\"[1,\"", "\"[]\"",
            "\"[1, -2]\"", "\"[2147483648]\"", "abc", "", "\"\"", " 7", "\"[" + (Integer.MAX_VALUE) + "]\"", "100",
            "\"1,2\"", "\"[[1]]\"", "\"[1.5]\""};
        java.util.regex.Matcher numbers = java.util.regex.Pattern.compile("\\d+").matcher(csv);
        java.util.List<int[]> spans = new java.util.ArrayList<>();
        while (numbers.find()) {
            spans.add(new int[] {numbers.start(), numbers.end()});
        }
        int[] span = spans.get(rng.nextInt(spans.size()));
        String value = odd[rng.nextInt(odd.length)];
        String out = csv.substring(0, span[0]) + value + csv.substring(span[1]);
        return new Mutated(out.getBytes(StandardCharsets.UTF_8), "'" + csv.substring(span[0], span[1]) + "' at "
                + span[0] + " replaced by " + value);
    }

    @Property(tries = 300, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261213")
    void damagedEapCsvIsReadOrRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        int mary = tokenizer.singleToken(" Mary");
        int john = tokenizer.singleToken(" John");
        String valid = rng.nextBoolean()
                ? ",clean,corrupted,correct_idx,incorrect_idx\n0,Mary went,John went," + mary + "," + john + "\n"
                        + "1,\"John, Mary went\",\"Mary, John went\",\"[" + john + ", " + mary + "]\"," + mary + "\n"
                : "clean,corrupted,label\nThe war lasted from the year 1732 to the year 17,"
                        + "The war lasted from the year 1701 to the year 17,32\n";
        Mutated m = rng.nextBoolean() ? FileMutations.bytes(valid.getBytes(StandardCharsets.UTF_8), rng)
                : cellMutation(valid, rng);
        Path file = Files.write(dir.resolve("ioi.csv"), m.bytes());
        boolean align = rng.nextBoolean();
        EapAnswerColumns.Reading reading = EapAnswerColumns.Reading.values()[rng.nextInt(
                EapAnswerColumns.Reading.values().length)];
        readOrRefuse("seed " + seed + " (align " + align + ", " + reading + "): " + m.what(), file,
                () -> new EapCsvTask(tokenizer, vocab, CONTEXT, align).read(file, reading));
    }
}
