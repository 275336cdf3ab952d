package io.circuitscope.core.task.generate;

import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The words of a text that a tokenizer does not know: they encode to its unknown token ({@code [UNK]}). A prompt
 * or answer made of them is useless (with a small word-level vocabulary every IOI name was [UNK], so clean equalled
 * corrupted and correct equalled wrong), so generators leave such texts out and name the words.
 */
final class UnknownWords {
    /** A word or number, with its leading space, or one punctuation mark: what word-level vocabularies hold. */
    private static final Pattern WORD = Pattern.compile("\\s?(?:[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}])");

    private UnknownWords() {
    }

    /** The unknown words of {@code text}, in order; empty when the tokenizer knows all of it or has no unknown token. */
    static List<String> in(TextTokenizer tokenizer, String text) {
        OptionalInt unknown = tokenizer.unknownId();
        if (unknown.isEmpty() || !contains(tokenizer.encode(text), unknown.getAsInt())) {
            return List.of();
        }
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            if (contains(tokenizer.encode(m.group()), unknown.getAsInt())) {
                words.add(m.group().strip());
            }
        }
        return words.isEmpty() ? List.of(text.strip()) : words; // unknown only in context: name the whole text
    }

    /** The unknown words of all the texts, each once. */
    static List<String> in(TextTokenizer tokenizer, String... texts) {
        List<String> words = new ArrayList<>();
        for (String text : texts) {
            for (String w : in(tokenizer, text)) {
                if (!words.contains(w)) {
                    words.add(w);
                }
            }
        }
        return words;
    }

    /** Counts a text left out for its unknown words, under one reason per word, so the skip counts name them. */
    static void skip(Skips skips, List<String> words) {
        for (String w : words) {
            skips.add("unknown to the tokenizer: '" + w + "'");
        }
    }

    private static boolean contains(int[] ids, int id) {
        for (int x : ids) {
            if (x == id) {
                return true;
            }
        }
        return false;
    }
}
