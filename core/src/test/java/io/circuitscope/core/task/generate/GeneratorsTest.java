package io.circuitscope.core.task.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.testing.TinyTokenizer;
import io.circuitscope.core.tokenize.HfTokenizer;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generators are deterministic, give same-length pairs and single-token answers, and count what they skip. */
class GeneratorsTest {
    @TempDir
    Path dir;

    /** The first ten IOI names as single tokens; the other 30 stay multi-token and must be skipped. */
    static String[] ioiWords() {
        List<String> w = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            w.add(" " + IoiGenerator.NAMES[i]);
        }
        return w.toArray(String[]::new);
    }

    /** A word-level tokenizer: every word (with its leading space), digit pair and punctuation mark is one token. */
    static class WordTokenizer implements TextTokenizer {
        static final Pattern PIECE = Pattern.compile("\\s?\\d\\d|\\s?\\d|\\s?[^\\s.,:\\d]+|[.,:]");
        final Map<String, Integer> ids = new HashMap<>();
        final List<String> pieces = new ArrayList<>();

        @Override
        public int[] encode(String text) {
            List<Integer> out = new ArrayList<>();
            Matcher m = PIECE.matcher(text);
            while (m.find()) {
                out.add(ids.computeIfAbsent(m.group(), k -> {
                    pieces.add(k);
                    return pieces.size() - 1;
                }));
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        public String decode(int[] ids) {
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                sb.append(pieces.get(id));
            }
            return sb.toString();
        }

        @Override
        public String token(int id) {
            return pieces.get(id);
        }

        @Override
        public void close() {
        }
    }

    /** The word tokenizer with a BOS token, as GPT-2's, Llama's and Gemma's tokenizers have. */
    static final class WordTokenizerWithBos extends WordTokenizer {
        final int bos = encode("<bos>")[0];

        @Override
        public java.util.OptionalInt bos() {
            return java.util.OptionalInt.of(bos);
        }
    }

    /**
     * With a BOS token every generated prompt begins with it, and what generators locate in a prompt (the
     * factual subject's positions) is still located right: every noise position is a subject token.
     */
    @Test
    void generatedPromptsBeginWithTheBosTokenAndPositionsStillPointAtTheirTokens() {
        for (String name : new String[] {"ioi", "greater-than", "factual", "translation"}) {
            WordTokenizerWithBos tok = new WordTokenizerWithBos();
            Generated g = Generators.byName(name).generate(tok, 0, 12, 3);
            for (Example e : g.task().examples()) {
                assertEquals(tok.bos, e.clean()[0], name);
                assertEquals(tok.bos, e.corrupt()[0], name);
                for (int p : e.noisePositions()) {
                    assertNotEquals(e.clean()[p], e.corrupt()[p], name + ": a noise position is a subject token");
                    assertTrue(p >= 1, name + ": the BOS token is no subject");
                }
            }
            assertTrue(g.task().size() > 0, name);
        }
    }

    /** Induction prompts begin with the tokenizer's BOS token and never draw it among their random tokens. */
    @Test
    void inductionBeginsWithTheTokenizersBosAndNeverRepeatsIt() {
        WordTokenizer tok = new WordTokenizer() {
            @Override
            public java.util.OptionalInt bos() {
                return java.util.OptionalInt.of(5);
            }
        };
        Generated g = Generators.byName("induction").generate(tok, 12, 30, 2);
        for (Example e : g.task().examples()) {
            assertEquals(5, e.clean()[0]);
            assertEquals(5, e.corrupt()[0]);
            for (int i = 1; i < e.clean().length; i++) {
                assertNotEquals(5, e.clean()[i], "the BOS id is no random token");
                assertNotEquals(5, e.corrupt()[i]);
                assertTrue(e.clean()[i] >= 1 && e.clean()[i] < 12);
            }
        }
        assertEquals(20, Generators.byName("induction").generate(null, 12, 1, 2).task().examples().get(0).clean().length,
                "without a tokenizer, no BOS");
    }

    static void assertSameTasks(Task a, Task b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.examples().get(i).clean(), b.examples().get(i).clean());
            assertArrayEquals(a.examples().get(i).corrupt(), b.examples().get(i).corrupt());
            assertEquals(a.examples().get(i).targets(), b.examples().get(i).targets());
        }
    }

    @Test
    void ioiIsDeterministicSameLengthSingleTokenAndCountsSkippedNames() throws Exception {
        TinyTokenizer.write(dir, ioiWords());
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            Generated g = new IoiGenerator().generate(tok, 0, 40, 1);
            Generated again = new IoiGenerator().generate(tok, 0, 40, 1);
            assertSameTasks(g.task(), again.task());
            assertEquals(30, g.skipped().get("name not one token"), g.skipped().toString());
            assertEquals(40, g.task().size());
            List<String> names = Arrays.asList(ioiWords());
            int abba = 0;
            for (Example e : g.task().examples()) {
                assertEquals(e.clean().length, e.corrupt().length);
                Target t = e.targets().get(0);
                assertTrue(names.contains(tok.token(t.correctId())), tok.token(t.correctId()));
                assertTrue(names.contains(tok.token(t.wrongId())));
                assertNotEquals(t.correctId(), t.wrongId());
                String clean = tok.decode(e.clean());
                String corrupt = tok.decode(e.corrupt());
                // IO appears once and S twice in the clean prompt; the corrupted one has three distinct names
                assertEquals(1, count(clean, tok.token(t.correctId())), clean);
                assertEquals(2, count(clean, tok.token(t.wrongId())), clean);
                long distinct = names.stream().filter(corrupt::contains).count();
                assertEquals(3, distinct, corrupt);
                abba += clean.indexOf(tok.token(t.correctId())) < clean.indexOf(tok.token(t.wrongId())) ? 1 : 0;
            }
            assertTrue(abba > 0 && abba < 40, "both ABBA and BABA orders");
            assertTrue(g.task().examples().stream().map(e -> tok.decode(e.clean()).substring(0, 8)).distinct().count() > 3,
                    "several templates");
            Generated other = new IoiGenerator().generate(tok, 0, 40, 2);
            assertTrue(!Arrays.equals(other.task().examples().get(0).clean(), g.task().examples().get(0).clean())
                    || !Arrays.equals(other.task().examples().get(1).clean(), g.task().examples().get(1).clean()));
            Path file = dir.resolve("ioi.jsonl");
            TaskFile.write(file, g.task());
            assertSameTasks(g.task(), TaskFile.read(file, null, false));
        }
    }

    /** The default draws Wang et al.'s eight templates, all of them, and none of the two of our own it once had. */
    @Test
    void ioiDefaultTemplatesAreWangEtAlsOnly() {
        WordTokenizer tok = new WordTokenizer();
        Generated g = new IoiGenerator().generate(tok, 0, 200, 4);
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (Example e : g.task().examples()) {
            String clean = tok.decode(e.clean());
            assertFalse(clean.startsWith("While spending") || clean.matches("When \\w+ and \\w+ went to.*"), clean);
            for (int i = 0; i < IoiGenerator.TEMPLATES.length; i++) {
                String shape = Pattern.quote(IoiGenerator.TEMPLATES[i]).replaceAll("\\{[ABSPO]\\}", "\\\\E\\\\w+\\\\Q");
                if (clean.matches(shape)) {
                    used.add(i);
                }
            }
        }
        assertEquals(8, IoiGenerator.TEMPLATES.length);
        assertEquals(8, used.size(), "every template drawn: " + used);
    }

    /**
     * ACDC's IOI setup: its one template, ABBA only (the IO named first), every prompt of one length; places and
     * objects that are not one token are left out and counted.
     */
    @Test
    void ioiAcdcTemplatesAreOneAbbaTemplateOfOneLength() throws Exception {
        List<String> words = new ArrayList<>(Arrays.asList(ioiWords()));
        words.addAll(List.of(" park", " beach", " ring", " key", "Then", " went", " gave"));
        TinyTokenizer.write(dir, words.toArray(String[]::new));
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            Generated g = new IoiGenerator(IoiGenerator.Templates.ACDC).generate(tok, 0, 100, 1);
            assertEquals(100, g.task().size());
            assertEquals(IoiGenerator.PLACES.length - 2, g.skipped().get("place not one token"), g.skipped().toString());
            assertEquals(IoiGenerator.OBJECTS.length - 2, g.skipped().get("object not one token"));
            Pattern acdc = Pattern.compile("Then, (\\w+) and (\\w+) went to the (park|beach)\\. (\\w+) gave a (ring|key) to");
            int length = g.task().examples().get(0).clean().length;
            for (Example e : g.task().examples()) {
                assertEquals(length, e.clean().length, "one length for all prompts");
                assertEquals(length, e.corrupt().length);
                Target t = e.targets().get(0);
                Matcher m = acdc.matcher(tok.decode(e.clean()));
                assertTrue(m.matches(), tok.decode(e.clean()));
                assertEquals(tok.token(t.correctId()), " " + m.group(1), "ABBA: the IO is named first");
                assertEquals(tok.token(t.wrongId()), " " + m.group(2));
                assertEquals(m.group(2), m.group(4), "the second name is the repeated subject");
                Matcher k = acdc.matcher(tok.decode(e.corrupt()));
                assertTrue(k.matches(), tok.decode(e.corrupt()));
                assertEquals(3, java.util.Set.of(k.group(1), k.group(2), k.group(4)).size(), "ABC: three distinct names");
            }
        }
        assertEquals(IoiGenerator.Templates.ACDC, IoiGenerator.Templates.parse("acdc"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IoiGenerator.Templates.parse("paper"));
        assertEquals("unknown IOI templates 'paper' (known: wang, acdc)", e.getMessage());
    }

    /** Without one-token places ACDC's prompts could not share a length: a clear error, not a ragged task. */
    @Test
    void ioiAcdcWithoutOneTokenPlacesIsAClearError() throws Exception {
        TinyTokenizer.write(dir, ioiWords());
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new IoiGenerator(IoiGenerator.Templates.ACDC).generate(tok, 0, 5, 1));
            assertTrue(e.getMessage().startsWith("no IOI place is a single token for this tokenizer (tried: store, "),
                    e.getMessage());
        }
    }

    static int count(String s, String piece) {
        int n = 0;
        for (int i = s.indexOf(piece); i >= 0; i = s.indexOf(piece, i + 1)) {
            if (i + piece.length() >= s.length() || !Character.isLetter(s.charAt(i + piece.length()))) {
                n++;
            }
        }
        return n;
    }

    @Test
    void tooFewSingleTokenNamesIsAClearError() throws Exception {
        TinyTokenizer.write(dir, " Mary", " John");
        try (HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new IoiGenerator().generate(tok, 0, 5, 1));
            assertTrue(e.getMessage().contains("single tokens"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new IoiGenerator().generate(null, 0, 5, 1));
    }

    /** "The {noun} lasted from the year CCYY to the year CC": the century, the start year and the prompt's end. */
    static final Pattern GREATER_THAN = Pattern.compile("The \\w+ lasted from the year (\\d\\d)(\\d\\d) to the year (\\d\\d)");

    /**
     * The paper's answers: every year after YY is correct, every year up to and including YY is wrong; the
     * centuries are Hanna et al.'s and EAP-IG's 11..17, and the year is " CC" then "YY", one token each.
     */
    @Test
    void greaterThanAnswersAreTheYearsAfterTheStartYearAgainstTheRest() {
        WordTokenizer tok = new WordTokenizer();
        Generated g = new GreaterThanGenerator().generate(tok, 0, 60, 3);
        assertEquals(60, g.task().size());
        assertSameTasks(g.task(), new GreaterThanGenerator().generate(tok, 0, 60, 3).task());
        java.util.Set<String> centuries = new java.util.TreeSet<>();
        for (Example e : g.task().examples()) {
            String clean = tok.decode(e.clean());
            String corrupt = tok.decode(e.corrupt());
            Matcher m = GREATER_THAN.matcher(clean);
            assertTrue(m.matches(), clean);
            String cc = m.group(1);
            int yy = Integer.parseInt(m.group(2));
            assertEquals(cc, m.group(3), "the prompt ends in the start year's century: " + clean);
            assertTrue(Integer.parseInt(cc) >= 11 && Integer.parseInt(cc) <= 17 && yy >= 2 && yy <= 98, clean);
            centuries.add(cc);
            assertEquals(clean.replace(cc + m.group(2) + " to", cc + "01 to"), corrupt);
            int n = e.clean().length;
            assertEquals(" " + cc, tok.token(e.clean()[n - 1]), "the last token is the century");
            assertEquals(m.group(2), tok.token(e.clean()[n - 5]), "the start year is its own token after ' CC'");
            assertEquals(" " + cc, tok.token(e.clean()[n - 6]));
            Target t = e.targets().get(0);
            assertEquals(-1, t.position());
            java.util.List<String> later = new java.util.ArrayList<>();
            java.util.List<String> notLater = new java.util.ArrayList<>();
            for (int y = 0; y < 100; y++) {
                (y > yy ? later : notLater).add(String.format("%02d", y));
            }
            assertEquals(later, t.correctIds().stream().map(tok::token).toList(), clean);
            assertEquals(notLater, t.wrongIds().stream().map(tok::token).toList(), clean);
            assertEquals(e.clean().length, e.corrupt().length);
        }
        assertEquals(java.util.Set.of("11", "12", "13", "14", "15", "16", "17"), centuries);
        assertTrue(g.skipped().isEmpty(), "every year is one token of the word tokenizer: " + g.skipped());
    }

    /** A year that is not " CC" then "YY" (e.g. GPT-2 holds " 1500"-like years whole) is skipped and counted. */
    @Test
    void greaterThanSkipsYearsThatAreNotTheCenturyTokenThenTheYearToken() {
        WordTokenizer tok = new WordTokenizer() {
            @Override
            public int[] encode(String text) {
                // the 13th century's years come out as " 13", "x", "YY"
                return super.encode(text.replaceAll(" 13(\\d\\d)", " 13x$1"));
            }
        };
        Generated g = new GreaterThanGenerator().generate(tok, 0, 40, 7);
        assertEquals(40, g.task().size());
        assertTrue(g.skipped().get("year not the two tokens ' CC' + 'YY'") > 0, g.skipped().toString());
        for (Example e : g.task().examples()) {
            assertFalse(tok.decode(e.clean()).contains("year 13"), tok.decode(e.clean()));
        }
    }

    /** Years a tokenizer does not hold as one token are left out of both sets, and counted. */
    @Test
    void greaterThanLeavesOutYearsThatAreNotOneToken() {
        WordTokenizer tok = new WordTokenizer() {
            @Override
            public int[] encode(String text) {
                // "07" and "42" come out as two digits
                return super.encode(text.replace("07", "0 7").replace("42", "4 2"));
            }
        };
        Generated g = new GreaterThanGenerator().generate(tok, 0, 20, 5);
        assertEquals(2, g.skipped().get("two-digit year not one token (left out of the answer sets)"), g.skipped().toString());
        for (Example e : g.task().examples()) {
            Target t = e.targets().get(0);
            assertEquals(98, t.correctIds().size() + t.wrongIds().size());
            for (int id : t.correctIds()) {
                assertTrue(!tok.token(id).equals("07") && !tok.token(id).equals("42"));
            }
        }
    }

    @Test
    void inductionRepeatsTheFirstHalfAndResamplesItInTheCorruptedPrompt() {
        Generated g = new InductionGenerator(6, 0, 1, true).generate(null, 50, 8, 4);
        assertSameTasks(g.task(), new InductionGenerator(6, 0, 1, true).generate(null, 50, 8, 4).task());
        for (Example e : g.task().examples()) {
            int[] c = e.clean();
            int[] k = e.corrupt();
            assertEquals(13, c.length);
            assertEquals(0, c[0]);
            for (int i = 0; i < 6; i++) {
                assertEquals(c[1 + i], c[7 + i]);
                assertEquals(c[7 + i], k[7 + i]);
                assertNotEquals(c[1 + i], k[1 + i]);
                assertTrue(c[1 + i] >= 1 && c[1 + i] < 50);
            }
            assertEquals(5, e.targets().size());
            for (Target t : e.targets()) {
                assertEquals(c[t.position() + 1 - 6], t.correctId(), "induction predicts the token after the earlier copy");
                assertEquals(k[t.position() + 1 - 6], t.wrongId());
            }
        }
        assertEquals(1, new InductionGenerator(6, -1, 1, false).generate(null, 50, 2, 4).task().examples().get(0)
                .targets().size());
    }

    @Test
    void factualRecallCorruptsTheSubjectAndMarksItsPositionsForNoise() {
        WordTokenizer tok = new WordTokenizer();
        Generated g = new FactualRecallGenerator().generate(tok, 0, 12, 5);
        assertSameTasks(g.task(), new FactualRecallGenerator().generate(tok, 0, 12, 5).task());
        assertEquals(12, g.task().size());
        for (Example e : g.task().examples()) {
            assertEquals(e.clean().length, e.corrupt().length);
            assertTrue(e.noisePositions().length >= 1);
            for (int p : e.noisePositions()) {
                assertNotEquals(e.clean()[p], e.corrupt()[p], "noise positions are the subject, which the corruption changes");
            }
            assertNotEquals(e.targets().get(0).correctId(), e.targets().get(0).wrongId());
        }
    }

    @Test
    void translationCutsTheTargetSentenceAndSwapsTheLastWordToTheSourceLanguage() {
        WordTokenizer tok = new WordTokenizer();
        Generated g = Generators.byName("translation").generate(tok, 0, 20, 6);
        assertSameTasks(g.task(), new TranslationGenerator().generate(tok, 0, 20, 6).task());
        for (Example e : g.task().examples()) {
            String clean = tok.decode(e.clean());
            String corrupt = tok.decode(e.corrupt());
            assertEquals(e.clean().length, e.corrupt().length);
            int diff = 0;
            for (int i = 0; i < e.clean().length; i++) {
                diff += e.clean()[i] != e.corrupt()[i] ? 1 : 0;
            }
            assertEquals(1, diff, clean + " / " + corrupt);
            assertNotEquals(e.clean()[e.clean().length - 1], e.corrupt()[e.corrupt().length - 1]);
        }
        String any = tok.decode(g.task().examples().stream().filter(e -> tok.decode(e.clean()).startsWith("Español: El"))
                .findFirst().orElseThrow().clean());
        assertTrue(any.contains("Français: Le"), any);
        assertThrows(IllegalArgumentException.class, () -> Generators.byName("nope"));
    }

    /** make-task prints the skip reasons; they keep the order they arose in (Map.copyOf's changed per run). */
    @Test
    void skipReasonsKeepTheirOrder() {
        Map<String, Integer> reasons = new java.util.LinkedHashMap<>();
        for (String reason : List.of("name not one token", "lengths differ", "answer not one token", "too long",
                "duplicate", "unknown word")) {
            reasons.put(reason, reasons.size() + 1);
        }
        Task task = new Task("t", List.of(new Example(new int[] {1}, new int[] {2}, List.of(new Target(0, 1, null)))));
        assertEquals(List.copyOf(reasons.keySet()), List.copyOf(new Generated(task, reasons).skipped().keySet()));
    }
}
