package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Translation as in the seed's translation-head study: "Español: El presidente visita la ciudad ... Français: Le
 * président visite la ville" -> " avec". The target sentence is cut after word k (k >= 1); the answer is the first
 * token of target word k + 1; the corrupted prompt replaces the last target word with its aligned source-language
 * word ("... Français: Le président visite la ciudad"), as the seed does, and the wrong answer is the first token
 * of the next source word (" con"). Sentence pairs are word-aligned one to one. Cuts whose corrupted prompt has a
 * different token length, or where tokenization of the continuation does not extend the prompt, are skipped
 * and counted.
 */
public final class TranslationGenerator implements TaskGenerator {
    /** A word-aligned sentence pair: source words[i] translates to target words[i]. */
    public record Pair(String sourceLanguage, String targetLanguage, String[] source, String[] target) {
        public Pair {
            if (source.length != target.length) {
                throw new IllegalArgumentException("aligned pair needs as many words on both sides");
            }
        }

        public String sourceText() {
            return String.join(" ", source);
        }

        public String targetText() {
            return String.join(" ", target);
        }

        /** "Español: src. Français: " — the prompt up to the first target word. */
        public String header() {
            return sourceLanguage + ": " + sourceText() + ". " + targetLanguage + ":";
        }
    }

    static Pair p(String sl, String tl, String s, String t) {
        return new Pair(sl, tl, s.split(" "), t.split(" "));
    }

    /** The seed's Spanish-French sentence plus short one-to-one aligned pairs. */
    public static final List<Pair> PAIRS = List.of(
            p("Español", "Français", "El presidente visita la ciudad con su esposa cada año",
                    "Le président visite la ville avec sa femme chaque année"),
            p("English", "Français", "The cat is on the table", "Le chat est sur la table"),
            p("English", "Français", "The teacher reads a book", "Le professeur lit un livre"),
            p("English", "Español", "The house is very big", "La casa es muy grande"),
            p("English", "Español", "The children play in the park", "Los niños juegan en el parque"),
            p("English", "Deutsch", "The dog plays in the garden", "Der Hund spielt in dem Garten"),
            p("English", "Deutsch", "My father drinks a cold coffee", "Mein Vater trinkt einen kalten Kaffee"),
            p("Español", "Français", "Mi hermano come una manzana roja", "Mon frère mange une pomme rouge"),
            p("English", "Français", "My sister has a small car", "Ma sœur a une petite voiture"),
            p("English", "Español", "The woman writes a long letter", "La mujer escribe una carta larga"));

    @Override
    public String name() {
        return "translation";
    }

    @Override
    public Generated generate(TextTokenizer tokenizer, int vocabSize, int n, long seed) {
        TaskGenerator.require(tokenizer, name());
        Skips skips = new Skips();
        List<Example> all = new ArrayList<>();
        for (Pair pair : PAIRS) {
            for (int k = 1; k < pair.target().length; k++) {
                String prefix = pair.header() + " " + String.join(" ", Arrays.copyOfRange(pair.target(), 0, k));
                String[] corruptWords = Arrays.copyOfRange(pair.target(), 0, k);
                corruptWords[k - 1] = pair.source()[k - 1];
                String corrupt = pair.header() + " " + String.join(" ", corruptWords);
                int[] c = tokenizer.encodePrompt(prefix);
                int[] x = tokenizer.encodePrompt(corrupt);
                if (c.length != x.length) {
                    skips.add("clean and corrupt lengths differ");
                    continue;
                }
                List<String> unknown = UnknownWords.in(tokenizer, prefix, corrupt, " " + pair.target()[k],
                        " " + pair.source()[k]);
                if (!unknown.isEmpty()) {
                    UnknownWords.skip(skips, unknown);
                    continue;
                }
                if (pair.target()[k].equals(pair.source()[k])) {
                    skips.add("next word is the same in both languages");
                    continue;
                }
                int correct = nextToken(tokenizer, prefix, c, pair.target()[k]);
                int wrong = nextToken(tokenizer, prefix, c, pair.source()[k]);
                if (correct < 0 || wrong < 0 || correct == wrong) {
                    skips.add("continuation does not extend the prompt's tokens");
                    continue;
                }
                all.add(new Example(c, x, List.of(new Target(-1, correct, wrong))));
            }
        }
        Random rng = new Random(seed);
        java.util.Collections.shuffle(all, rng);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n && !all.isEmpty(); i++) {
            out.add(all.get(i % all.size())); // cycles when n exceeds the distinct cuts
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no translation prompt fits this tokenizer (skipped: " + skips.counts + ")");
        }
        return new Generated(new Task("translation", out), skips.counts);
    }

    /** The first token of " word" after the prompt, or -1 when the prompt's tokens are not a prefix. */
    static int nextToken(TextTokenizer tokenizer, String prompt, int[] promptIds, String word) {
        int[] full = tokenizer.encodePrompt(prompt + " " + word);
        if (full.length <= promptIds.length) {
            return -1;
        }
        for (int i = 0; i < promptIds.length; i++) {
            if (full[i] != promptIds[i]) {
                return -1;
            }
        }
        return full[promptIds.length];
    }
}
