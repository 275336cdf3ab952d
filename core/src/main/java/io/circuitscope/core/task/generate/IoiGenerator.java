package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Indirect object identification (Wang et al. 2022): "When Mary and John went to the store, John gave a drink
 * to" -> " Mary" (correct = indirect object, wrong = subject).
 * <ul>
 * <li>{@link Templates#WANG} (the default): eight of the fifteen templates of Wang et al.'s App. E, drawn at
 * random, in both orders, alternating ABBA (IO named first) and BABA.</li>
 * <li>{@link Templates#ACDC}: the setup of ACDC's IOI experiments (Conmy et al. 2023), one template in ABBA
 * order only, "Then, A and B went to the PLACE. B gave a OBJECT to", with places and objects that are one
 * token each so that every prompt has the same length. ACDC's prompts carry no BOS token; that is the
 * tokenizer's setting ({@code --no-bos}), not the generator's.</li>
 * </ul>
 * The names, places and objects are this project's own lists, not those of Wang et al. or ACDC.
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
    /**
     * Eight of Wang et al.'s fifteen templates (App. E), without the answer: {A} and {B} are the first two names
     * (IO then S for ABBA, S then IO for BABA), {S} the repeated subject. The first is ACDC's only template.
     * Two templates of our own ("When A and B went to the P, ..." and "While spending time together ...") were
     * dropped so that the default draws from Wang et al.'s distribution only.
     */
    static final String[] TEMPLATES = {
        "Then, {A} and {B} went to the {P}. {S} gave a {O} to",
        "After {A} and {B} went to the {P}, {S} gave a {O} to",
        "While {A} and {B} were working at the {P}, {S} gave a {O} to",
        "Then, {A} and {B} had a long argument, and afterwards {S} said to",
        "When {A} and {B} got a {O} at the {P}, {S} decided to give it to",
        "Friends {A} and {B} found a {O} at the {P}. {S} gave it to",
        "The {P} {A} and {B} went to had a {O}. {S} gave it to",
        "Afterwards, {A} and {B} went to the {P}. {S} gave a {O} to",
    };

    /** Which prompt distribution to draw (see the class comment). */
    public enum Templates {
        WANG, ACDC;

        /** The command-line spelling: wang | acdc. */
        public static Templates parse(String text) {
            for (Templates t : values()) {
                if (t.name().equalsIgnoreCase(text)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown IOI templates '" + text + "' (known: wang, acdc)");
        }
    }

    private final Templates templates;

    public IoiGenerator() {
        this(Templates.WANG);
    }

    public IoiGenerator(Templates templates) {
        this.templates = java.util.Objects.requireNonNull(templates, "templates");
    }

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
            int[] t = tokenizer.encodeContinuation(" " + nm);
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
        boolean acdc = templates == Templates.ACDC;
        // ACDC's prompts all have one length: one template, and places and objects of one token each
        List<String> places = acdc ? oneTokenWords(tokenizer, PLACES, "place", skips) : List.of(PLACES);
        List<String> objects = acdc ? oneTokenWords(tokenizer, OBJECTS, "object", skips) : List.of(OBJECTS);
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int attempt = 0; out.size() < n && attempt < 20 * n + 100; attempt++) {
            String template = acdc ? TEMPLATES[0] : TEMPLATES[rng.nextInt(TEMPLATES.length)];
            String place = places.get(rng.nextInt(places.size()));
            String object = objects.get(rng.nextInt(objects.size()));
            int[] pick = distinct(rng, names.size(), 5);
            String io = names.get(pick[0]);
            String s = names.get(pick[1]);
            // WANG alternates the orders ABBA (IO first) and BABA (S first); ACDC uses ABBA only
            boolean abba = acdc || (attempt & 1) == 0;
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
            if (acdc && !out.isEmpty() && cleanIds.length != out.get(0).clean().length) {
                skips.add("length differs from the first prompt's");
                continue;
            }
            out.add(new Example(cleanIds, corruptIds, List.of(new Target(-1, ids.get(pick[0]), ids.get(pick[1])))));
        }
        return skips.task("ioi", out);
    }

    /** The words that are one token after a space; the others are counted as "KIND not one token". */
    static List<String> oneTokenWords(TextTokenizer tokenizer, String[] words, String kind, Skips skips) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            if (tokenizer.encodeContinuation(" " + w).length == 1) {
                out.add(w);
            } else {
                skips.add(kind + " not one token");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no IOI " + kind + " is a single token for this tokenizer (tried: "
                    + String.join(", ", words) + "); ACDC's template needs one-token " + kind + "s for prompts of "
                    + "one length");
        }
        return out;
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
