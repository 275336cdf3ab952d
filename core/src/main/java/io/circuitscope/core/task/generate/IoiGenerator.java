package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Indirect object identification (Wang et al. 2022): "When Mary and John went to the store, John gave a drink
 * to" -> " Mary" (correct = indirect object, wrong = subject). Both orders: ABBA (IO named first) and BABA.
 * Names must be single tokens with a leading space; the others are skipped and counted once each
 * ("name not one token"). Corrupted prompt: the ABC distribution, the same template with three fresh distinct
 * names in the IO, S1 and S2 slots, so it carries no information about which name is repeated.
 * The target is the last position.
 */
public final class IoiGenerator implements TaskGenerator {
    static final String[] NAMES = {"Mary", "John", "Alice", "Bob", "Tom", "James", "Sarah", "Michael", "David",
        "Anna", "Paul", "Laura", "Mark", "Lisa", "Peter", "Kate", "Daniel", "Emma", "Chris", "Jessica", "Steven",
        "Rachel", "Kevin", "Linda", "Brian", "Amy", "Jason", "Emily", "Eric", "Helen", "Andrew", "Susan", "Ryan",
        "Sophie", "Adam", "Julia", "George", "Grace", "Henry", "Lucy"};
    static final String[] PLACES = {"store", "park", "school", "restaurant", "hospital", "office", "station",
        "garden", "market", "beach"};
    static final String[] OBJECTS = {"drink", "book", "ring", "ball", "bag", "letter", "gift", "key", "flower",
        "snack"};
    /** Wang et al.'s templates: {A} and {B} are the first two names, {S} the repeated subject. */
    static final String[] TEMPLATES = {
        "Then, {A} and {B} went to the {P}. {S} gave a {O} to",
        "When {A} and {B} went to the {P}, {S} gave a {O} to",
        "After {A} and {B} went to the {P}, {S} gave a {O} to",
        "While {A} and {B} were working at the {P}, {S} gave a {O} to",
        "Then, {A} and {B} had a long argument, and afterwards {S} said to",
        "When {A} and {B} got a {O} at the {P}, {S} decided to give it to",
        "Friends {A} and {B} found a {O} at the {P}. {S} gave it to",
        "The {P} {A} and {B} went to had a {O}. {S} gave it to",
        "Afterwards, {A} and {B} went to the {P}. {S} gave a {O} to",
        "While spending time together {A} and {B} were at the {P}. {S} handed a {O} to",
    };

    @Override
    public String name() {
        return "ioi";
    }

    static String fill(String template, String a, String b, String s, String place, String object) {
        return template.replace("{A}", a).replace("{B}", b).replace("{S}", s).replace("{P}", place)
                .replace("{O}", object);
    }

    @Override
    public Generated generate(TextTokenizer tokenizer, int vocabSize, int n, long seed) {
        TaskGenerator.require(tokenizer, name());
        Skips skips = new Skips();
        List<String> names = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        List<String> unknownNames = new ArrayList<>();
        for (String nm : NAMES) {
            if (!UnknownWords.in(tokenizer, " " + nm).isEmpty()) {
                unknownNames.add(nm);
                skips.add("name unknown to the tokenizer");
                continue;
            }
            int[] t = tokenizer.encode(" " + nm);
            if (t.length == 1) {
                names.add(nm);
                ids.add(t[0]);
            } else {
                skips.add("name not one token");
            }
        }
        if (names.size() < 5) {
            throw new IllegalArgumentException("only " + names.size() + " of the IOI names are single tokens for this "
                    + "tokenizer; need at least 5 (IO, S and three for the ABC corruption)"
                    + (unknownNames.isEmpty() ? "" : "; unknown to it: " + String.join(", ", unknownNames)));
        }
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int attempt = 0; out.size() < n && attempt < 20 * n + 100; attempt++) {
            String template = TEMPLATES[rng.nextInt(TEMPLATES.length)];
            String place = PLACES[rng.nextInt(PLACES.length)];
            String object = OBJECTS[rng.nextInt(OBJECTS.length)];
            int[] pick = distinct(rng, names.size(), 5);
            String io = names.get(pick[0]);
            String s = names.get(pick[1]);
            boolean abba = (attempt & 1) == 0; // alternate orders: ABBA (IO first), BABA (S first)
            String clean = fill(template, abba ? io : s, abba ? s : io, s, place, object);
            String c1 = names.get(pick[2]);
            String c2 = names.get(pick[3]);
            String c3 = names.get(pick[4]);
            String corrupt = fill(template, abba ? c1 : c2, abba ? c2 : c1, c3, place, object);
            List<String> unknown = UnknownWords.in(tokenizer, clean, corrupt);
            if (!unknown.isEmpty()) {
                UnknownWords.skip(skips, unknown);
                continue;
            }
            int[] cleanIds = tokenizer.encodePrompt(clean);
            int[] corruptIds = tokenizer.encodePrompt(corrupt);
            if (cleanIds.length != corruptIds.length) {
                skips.add("clean and corrupt lengths differ");
                continue;
            }
            out.add(new Example(cleanIds, corruptIds, List.of(new Target(-1, ids.get(pick[0]), ids.get(pick[1])))));
        }
        return skips.task("ioi", out);
    }

    /** k distinct indices in [0, size). */
    static int[] distinct(Random rng, int size, int k) {
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            int v;
            boolean clash;
            do {
                v = rng.nextInt(size);
                clash = false;
                for (int j = 0; j < i; j++) {
                    clash |= out[j] == v;
                }
            } while (clash);
            out[i] = v;
        }
        return out;
    }
}
