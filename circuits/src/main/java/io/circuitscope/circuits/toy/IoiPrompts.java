package io.circuitscope.circuits.toy;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * IOI-like prompts over token ids, one fixed length so every batch is rectangular:
 *
 * <pre>BOS [f] CONJ N1 and N2 VERB PREP the [adj] PLACE PUNCT [f] S VERB a [adj] OBJ to  -&gt; IO</pre>
 *
 * where {N1, N2} = {IO, S} in either order (ABBA / BABA) and S is repeated as the subject of the
 * second clause. {@value #FILLERS} filler tokens are split at random over the four bracketed slots,
 * so the names sit at varying positions and at varying distances from the end: the model cannot
 * find them by position alone and has to use their content (as GPT-2 does on IOI).
 *
 * <p>Corrupted prompt (the ABC dataset of Wang et al.): the three name slots filled with three other
 * distinct names, same layout, so the answer cannot be inferred. Target: the indirect object at the
 * last position; wrong answer: the subject.
 */
final class IoiPrompts {
    /** Names in the vocabulary (ids 1..NAMES). */
    static final int NAMES = 30;
    /** Filler tokens per prompt, spread over the four slots. */
    static final int FILLERS = 5;

    private static final int FIRST_NAME = 1;
    private static final int CONJUNCTIONS = 3; // when, then, while
    private static final int VERBS = 3; // went, were, gave / handed / threw
    private static final int PREPOSITIONS = 3; // to, at, in
    private static final int PUNCTUATION = 2; // comma, dot
    private static final int PLACES = 4;
    private static final int OBJECTS = 4;
    private static final int ADJECTIVES = 6;
    private static final int ADVERBS = 6;

    // the rest of the vocabulary after the names, in blocks
    private static final int AND = FIRST_NAME + NAMES;
    private static final int THE = AND + 1;
    private static final int A = THE + 1;
    private static final int TO = A + 1;
    private static final int FIRST_CONJUNCTION = TO + 1;
    private static final int FIRST_VERB1 = FIRST_CONJUNCTION + CONJUNCTIONS;
    private static final int FIRST_VERB2 = FIRST_VERB1 + VERBS;
    private static final int FIRST_PREPOSITION = FIRST_VERB2 + VERBS;
    private static final int FIRST_PUNCTUATION = FIRST_PREPOSITION + PREPOSITIONS;
    private static final int FIRST_PLACE = FIRST_PUNCTUATION + PUNCTUATION;
    private static final int FIRST_OBJECT = FIRST_PLACE + PLACES;
    private static final int FIRST_ADJECTIVE = FIRST_OBJECT + OBJECTS;
    private static final int FIRST_ADVERB = FIRST_ADJECTIVE + ADJECTIVES;
    /** Vocabulary size: BOS, names and template tokens. */
    static final int VOCAB = FIRST_ADVERB + ADVERBS;
    /** Prompt length: 15 template tokens (BOS included) and the fillers. */
    static final int LENGTH = 15 + FILLERS;

    private IoiPrompts() {
    }

    /** One clean/corrupted pair drawn with {@code rng}. */
    static Example example(Random rng) {
        int[] names = distinct(rng, 5, FIRST_NAME, FIRST_NAME + NAMES);
        int io = names[0];
        int subject = names[1];
        boolean abba = rng.nextBoolean();
        Layout layout = Layout.draw(rng);
        int[] clean = layout.fill(abba ? io : subject, abba ? subject : io, subject);
        int[] corrupt = layout.fill(names[2], names[3], names[4]);
        return new Example(clean, corrupt, List.of(new Target(LENGTH - 1, io, subject)));
    }

    /** Everything of a prompt except its three names; shared by the clean and the corrupted prompt. */
    private record Layout(int conjunction, int verb1, int preposition, int place, int punctuation, int verb2,
            int object, int[] before, int[] placeAdjectives, int[] afterPunctuation, int[] objectAdjectives) {

        static Layout draw(Random rng) {
            int[] split = split(rng, FILLERS, 4);
            return new Layout(FIRST_CONJUNCTION + rng.nextInt(CONJUNCTIONS), FIRST_VERB1 + rng.nextInt(VERBS),
                    FIRST_PREPOSITION + rng.nextInt(PREPOSITIONS), FIRST_PLACE + rng.nextInt(PLACES),
                    FIRST_PUNCTUATION + rng.nextInt(PUNCTUATION), FIRST_VERB2 + rng.nextInt(VERBS),
                    FIRST_OBJECT + rng.nextInt(OBJECTS), draws(rng, split[0], FIRST_ADVERB, ADVERBS),
                    draws(rng, split[1], FIRST_ADJECTIVE, ADJECTIVES), draws(rng, split[2], FIRST_ADVERB, ADVERBS),
                    draws(rng, split[3], FIRST_ADJECTIVE, ADJECTIVES));
        }

        int[] fill(int n1, int n2, int s) {
            List<Integer> t = new ArrayList<>();
            t.add(ToyTask.BOS);
            add(t, before);
            t.addAll(List.of(conjunction, n1, AND, n2, verb1, preposition, THE));
            add(t, placeAdjectives);
            t.addAll(List.of(place, punctuation));
            add(t, afterPunctuation);
            t.addAll(List.of(s, verb2, A));
            add(t, objectAdjectives);
            t.addAll(List.of(object, TO));
            return t.stream().mapToInt(Integer::intValue).toArray();
        }

        private static void add(List<Integer> tokens, int[] ids) {
            for (int id : ids) {
                tokens.add(id);
            }
        }
    }

    /** {@code total} split into {@code parts} non-negative parts, uniformly over compositions. */
    private static int[] split(Random rng, int total, int parts) {
        // stars and bars: choose parts - 1 bar positions among total + parts - 1 slots
        int[] bars = distinct(rng, parts - 1, 0, total + parts - 1);
        java.util.Arrays.sort(bars);
        int[] out = new int[parts];
        int previous = -1;
        for (int i = 0; i < parts - 1; i++) {
            out[i] = bars[i] - previous - 1;
            previous = bars[i];
        }
        out[parts - 1] = total + parts - 1 - previous - 1;
        return out;
    }

    private static int[] draws(Random rng, int count, int first, int size) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = first + rng.nextInt(size);
        }
        return out;
    }

    /** {@code count} distinct ids from [lo, hi). */
    private static int[] distinct(Random rng, int count, int lo, int hi) {
        List<Integer> pool = new ArrayList<>();
        for (int id = lo; id < hi; id++) {
            pool.add(id);
        }
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = pool.remove(rng.nextInt(pool.size()));
        }
        return out;
    }
}
