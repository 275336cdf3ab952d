package io.circuitscope.core.task.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.testing.TinyTokenizer;
import io.circuitscope.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With a small word-level tokenizer the text generators wrote prompts and answers of [UNK] ids (IOI: clean equal
 * to corrupted, correct equal to wrong). Texts with words the tokenizer lacks are now left out and the words named.
 */
class UnknownWordsTest {
    /** The id TinyTokenizer.writeWordLevel gives [UNK]. */
    static final int UNK = 0;

    @TempDir
    Path dir;

    HfTokenizer wordLevel(Set<String> words) throws Exception {
        TinyTokenizer.writeWordLevel(dir, words.toArray(String[]::new));
        return HfTokenizer.load(dir.resolve("tokenizer.json"), false);
    }

    /** The words and marks the WordLevel tokenizer's whitespace pre-tokenizer splits the texts into. */
    static Set<String> words(String... texts) {
        Set<String> out = new LinkedHashSet<>();
        for (String text : texts) {
            Matcher m = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS).matcher(text);
            while (m.find()) {
                out.add(m.group());
            }
        }
        return out;
    }

    static void assertNoUnknownIds(List<Example> examples) {
        for (Example e : examples) {
            assertFalse(Arrays.stream(e.clean()).anyMatch(id -> id == UNK), Arrays.toString(e.clean()));
            assertFalse(Arrays.stream(e.corrupt()).anyMatch(id -> id == UNK), Arrays.toString(e.corrupt()));
            for (Target t : e.targets()) {
                assertNotEquals(UNK, t.correctId());
                assertNotEquals(UNK, t.wrongId());
                assertNotEquals(t.correctId(), t.wrongId());
            }
        }
    }

    @Test
    void ioiNamesTheNamesATokenizerDoesNotKnow() throws Exception {
        try (HfTokenizer tok = wordLevel(words("When and went to the store, gave a drink to"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new IoiGenerator().generate(tok, 40, 8, 1));
            assertTrue(e.getMessage().contains("only 0 of the IOI names are single tokens")
                    && e.getMessage().contains("unknown to it: Mary, John, Alice"), e.getMessage());
        }
    }

    @Test
    void ioiLeavesOutTemplatesWithUnknownWordsAndNamesThem() throws Exception {
        Set<String> known = words(String.join(" ", IoiGenerator.NAMES), "After and went to the , gave a",
                String.join(" ", IoiGenerator.PLACES), String.join(" ", IoiGenerator.OBJECTS));
        try (HfTokenizer tok = wordLevel(known)) {
            Generated g = new IoiGenerator().generate(tok, known.size() + 1, 8, 1);
            assertEquals(8, g.task().size());
            assertNoUnknownIds(g.task().examples());
            for (Example e : g.task().examples()) {
                assertFalse(Arrays.equals(e.clean(), e.corrupt()));
                assertTrue(tok.decode(e.clean()).startsWith("After"), "only the template it knows every word of");
            }
            assertTrue(g.skipped().containsKey("unknown to the tokenizer: 'Then'"), g.skipped().toString());
        }
        try (HfTokenizer tok = wordLevel(words(String.join(" ", IoiGenerator.NAMES)))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new IoiGenerator().generate(tok, 41, 8, 1));
            assertTrue(e.getMessage().startsWith("no ioi prompt fits this tokenizer (skipped: {")
                    && e.getMessage().contains("unknown to the tokenizer: 'went'"), e.getMessage());
        }
    }

    @Test
    void translationLeavesOutCutsWhoseAnswerOrPromptHasUnknownWords() throws Exception {
        List<String> texts = new ArrayList<>();
        for (TranslationGenerator.Pair p : TranslationGenerator.PAIRS) {
            texts.add(p.header() + " " + p.targetText());
        }
        Set<String> known = words(texts.toArray(String[]::new));
        known.remove("avec");
        try (HfTokenizer tok = wordLevel(known)) {
            Generated g = new TranslationGenerator().generate(tok, known.size() + 1, 40, 1);
            assertNoUnknownIds(g.task().examples());
            assertTrue(g.skipped().containsKey("unknown to the tokenizer: 'avec'"), g.skipped().toString());
        }
        try (HfTokenizer tok = wordLevel(words("The cat is on the table"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TranslationGenerator().generate(tok, 10, 8, 1));
            assertTrue(e.getMessage().startsWith("no translation prompt fits this tokenizer")
                    && e.getMessage().contains("unknown to the tokenizer: 'Français'"), e.getMessage());
        }
    }

    @Test
    void factualAndGreaterThanNameTheUnknownWordsWhenNothingIsLeft() throws Exception {
        try (HfTokenizer tok = wordLevel(words("The capital of is the city"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FactualRecallGenerator().generate(tok, 10, 8, 1));
            assertTrue(e.getMessage().contains("unknown to the tokenizer: 'Paris'"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new GreaterThanGenerator().generate(tok, 10, 8, 1));
            assertTrue(e.getMessage().startsWith("no greater-than prompt fits this tokenizer")
                    && e.getMessage().contains("unknown to the tokenizer: 'war'"), e.getMessage());
        }
    }
}
