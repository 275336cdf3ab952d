package io.circuitscope.core.planted;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Planted indirect-object identification: a 3-layer, 4-head, normalisation-free GPT-2 (d_model 128,
 * d_head 32) with a duplicate-token head, an S-inhibition head, a name mover and a negative name mover.
 *
 * <p><b>Vocabulary</b> (28 ids): 0 {@code <bos>}; 1-8 names (Mary, John, Tom, Anna, Paul, Kate, Mike, Lisa);
 * 9-27 template words. Templates (N1, N2 the two names, S the repeated subject):
 * <pre>
 *   &lt;bos&gt; When N1 and N2 went to the store , S gave a drink to        (15 tokens)
 *   &lt;bos&gt; Then , N1 and N2 had lunch at the park . S gave a ring to   (17 tokens)
 *   &lt;bos&gt; When N1 and N2 went to the park , S gave a book to          (15 tokens)
 * </pre>
 * with S = N1 (BABA order: IO second) or S = N2 (ABBA); the answer at the last position is the other name (IO).
 *
 * <p><b>Residual stream</b>: NAME [0,8) name identity; ISNAME 8; CONST 9 (1 on every token); BOSF 10 (1 on
 * BOS); WORD [11,30) other tokens; POS [30,50) position (one-hot); DUP 50 ("an earlier token equals me",
 * written by a0.h0); SINH [51,59) subject identity moved to END by a1.h0; ANS [59,67) read by the
 * unembedding (logit 10 per unit for the name); JUNK [67,128) written only by distractors.
 *
 * <p><b>Circuit</b> (attention logits of +-30 after scaling, so every pattern is one-hot to ~1e-6):
 * <ul>
 * <li>a0.h0, duplicate-token head: query NAME meets key NAME (+30 when equal), any query meets BOS (+15,
 * a sink), a query meets its own position (-60). At S2 it attends to the first occurrence of S; at any
 * other position it attends to BOS. OV copies ISNAME into DUP, so DUP = 1 exactly at S2.</li>
 * <li>a1.h0, S-inhibition head: query CONST meets key DUP (+30) and key BOSF (+15, a sink); at END it
 * attends to S2 and copies its NAME into SINH. Without a duplicate it rests on BOS and writes nothing, so
 * the name movers then cannot tell IO from S (the sink makes the dup-head edges matter fully: without it
 * the fallback, uniform attention, would still weight S twice and leave IO preferred). The sink's key
 * edge {@code input->a1.h0<k>} is in neither edge set: on a clean prompt S2 always outscores BOS, so
 * patching it (corrupted or zero) changes nothing; it only shapes the model's behaviour when the
 * duplicate signal is missing.</li>
 * <li>a2.h0, name mover: query CONST meets key ISNAME (+30), query SINH meets key NAME (-60 when equal); at
 * END it attends to the name that is not S (IO) and copies NAME into ANS (+1).</li>
 * <li>a2.h1, negative name mover: same QK as a2.h0 (it also reads SINH), OV writes -0.3 x NAME into ANS,
 * lowering the IO logit (as 10.7 and 11.10 do in GPT-2 small). Clean logit difference = 10 x 0.7 = 7.</li>
 * </ul>
 * <b>Distractors</b>: a0.h1-3, a1.h1-3, a2.h2-3 (random Q/K/V with the circuit heads' norm, W_O into JUNK
 * only) and m0, m1, m2 (random GELU MLPs writing only into JUNK): provably zero effect. No backup name
 * mover: it would make the ground truth an OR (patching one mover would not hurt), which test (d) could
 * not check edge by edge.
 *
 * <p><b>Task</b>: ABC corruption, N1, N2 and S replaced by three distinct names not in the clean prompt.
 * Metric: logit difference IO - S at the last position.
 *
 * <p><b>Ground-truth edges</b> (12):
 * <ul>
 * <li>{@code input->a0.h0<q>}, {@code input->a0.h0<k>}: the name identities the duplicate match compares.</li>
 * <li>{@code a0.h0->a1.h0<k>}: the DUP flag tells S-inhibition where S2 is.</li>
 * <li>{@code input->a1.h0<v>}: S-inhibition moves S2's identity.</li>
 * <li>{@code a1.h0->a2.h0<q>}, {@code a1.h0->a2.h1<q>}: Q-composition; movers avoid the name in SINH.</li>
 * <li>{@code input->a2.h0<k>}, {@code input->a2.h1<k>}: the keys' name identities, compared with SINH.</li>
 * <li>{@code input->a2.h0<v>}, {@code input->a2.h1<v>}: the copied name.</li>
 * <li>{@code a2.h0->logits}, {@code a2.h1->logits}: the only writers of ANS.</li>
 * </ul>
 * Structural but invariant under ABC (not ground truth): {@code input->a0.h0<v>} (ISNAME is 1 on every name,
 * clean or corrupted), {@code input->a1.h0<q>}, {@code input->a2.h0<q>}, {@code input->a2.h1<q>} (CONST on
 * the END token, which the corruption keeps). Under zero ablation every structural edge matters, the
 * weakest being {@code input->a1.h0<q>} (about 8% of the gap): with its query zeroed the S-inhibition head
 * attends uniformly, and the resulting SINH still weights S (two occurrences) above IO (one). Under mean ablation
 * (over the corrupted prompts of each length) the circuit is the 12 ground-truth edges: the four invariant edges
 * carry the same value in every prompt of a length (the templates put names at the same positions), so their mean
 * is their value.
 */
public final class PlantedIoi {
    static final List<String> NAMES = List.of("Mary", "John", "Tom", "Anna", "Paul", "Kate", "Mike", "Lisa");
    static final List<String> WORDS = List.of("When", "and", "went", "to", "the", "store", ",", "gave", "a",
            "drink", "Then", "had", "lunch", "at", "park", ".", "ring", "kiss", "book");
    static final String[][] TEMPLATES = {
        "When N1 and N2 went to the store , S gave a drink to".split(" "),
        "Then , N1 and N2 had lunch at the park . S gave a ring to".split(" "),
        "When N1 and N2 went to the park , S gave a book to".split(" "),
    };
    static final int N = NAMES.size();
    static final int VOCAB = 1 + N + WORDS.size();
    static final int CONTEXT = 20;
    static final int NAME = 0;
    static final int ISNAME = 8;
    static final int CONST = 9;
    static final int BOSF = 10;
    static final int WORD = 11;
    static final int POS = 30;
    static final int DUP = 50;
    static final int SINH = 51;
    static final int ANS = 59;
    static final int JUNK = 67;
    static final int D = 128;
    static final double SCORE = 30;
    static final float LOGIT = 10f;
    static final float NEGATIVE = -0.3f;

    private PlantedIoi() {
    }

    static int nameId(int i) {
        return 1 + i;
    }

    static int wordId(String w) {
        int i = WORDS.indexOf(w);
        if (i < 0) {
            throw new IllegalArgumentException(w);
        }
        return 1 + N + i;
    }

    public static PlantedModel create() {
        PlantedWeights w = new PlantedWeights(D, 3, 4, 128, VOCAB, CONTEXT, "gelu_new");
        w.embed(0, BOSF, 1f);
        w.embed(0, CONST, 1f);
        for (int i = 0; i < N; i++) {
            w.embed(nameId(i), NAME + i, 1f);
            w.embed(nameId(i), ISNAME, 1f);
            w.embed(nameId(i), CONST, 1f);
        }
        for (int i = 0; i < WORDS.size(); i++) {
            w.embed(1 + N + i, WORD + i, 1f);
            w.embed(1 + N + i, CONST, 1f);
        }
        for (int p = 0; p < CONTEXT; p++) {
            w.position(p, POS + p, 1f);
        }
        // a0.h0 duplicate-token head: columns 0-7 name match, 8 BOS sink, 9.. self exclusion.
        for (int i = 0; i < N; i++) {
            w.score(0, 0, NAME + i, NAME + i, i, SCORE);
        }
        w.score(0, 0, CONST, BOSF, N, SCORE / 2);
        for (int p = 0; p < CONTEXT; p++) {
            w.score(0, 0, POS + p, POS + p, N + 1 + p, -2 * SCORE);
        }
        w.copy(0, 0, ISNAME, 0, DUP, 1f);
        // a1.h0 S-inhibition head: attend where DUP is set, move that token's name to SINH.
        w.score(1, 0, CONST, DUP, 0, SCORE);
        w.score(1, 0, CONST, BOSF, 1, SCORE / 2);
        for (int i = 0; i < N; i++) {
            w.copy(1, 0, NAME + i, i, SINH + i, 1f);
        }
        // a2.h0 name mover and a2.h1 negative name mover: attend to names other than the one in SINH.
        for (int h = 0; h < 2; h++) {
            w.score(2, h, CONST, ISNAME, 0, SCORE);
            for (int i = 0; i < N; i++) {
                w.score(2, h, SINH + i, NAME + i, 1 + i, -2 * SCORE);
                w.copy(2, h, NAME + i, i, ANS + i, h == 0 ? 1f : NEGATIVE);
            }
        }
        for (int i = 0; i < N; i++) {
            w.unembed(ANS + i, nameId(i), LOGIT);
        }
        Random rng = new Random(0x101);
        double norm = (w.headNorm(0, 0) + w.headNorm(1, 0) + w.headNorm(2, 0)) / 3;
        double std = norm / Math.sqrt(3.0 * D * 32 + 32 * (D - JUNK));
        for (int l = 0; l < 3; l++) {
            for (int h = l == 2 ? 2 : 1; h < 4; h++) {
                w.randomHead(l, h, rng, std, JUNK, D);
            }
            w.randomMlpUnits(l, 0, 128, rng, 0.2, JUNK, D);
        }
        List<String> vocab = new ArrayList<>();
        vocab.add("<bos>");
        vocab.addAll(NAMES);
        vocab.addAll(WORDS);
        return new PlantedModel("ioi",
                "3-layer duplicate-token -> S-inhibition -> name mover (+ negative name mover), ABC corruption", w,
                Metrics.LOGIT_DIFF,
                Set.of("input", "a0.h0", "a1.h0", "a2.h0", "a2.h1", "logits"),
                Set.of("input->a0.h0<q>", "input->a0.h0<k>", "a0.h0->a1.h0<k>", "input->a1.h0<v>",
                        "a1.h0->a2.h0<q>", "a1.h0->a2.h1<q>", "input->a2.h0<k>", "input->a2.h1<k>",
                        "input->a2.h0<v>", "input->a2.h1<v>", "a2.h0->logits", "a2.h1->logits"),
                Set.of("input->a0.h0<q>", "input->a0.h0<k>", "input->a0.h0<v>", "a0.h0->a1.h0<k>",
                        "input->a1.h0<q>", "input->a1.h0<v>",
                        "input->a2.h0<q>", "a1.h0->a2.h0<q>", "input->a2.h0<k>", "input->a2.h0<v>",
                        "input->a2.h1<q>", "a1.h0->a2.h1<q>", "input->a2.h1<k>", "input->a2.h1<v>",
                        "a2.h0->logits", "a2.h1->logits"),
                Set.of("input->a0.h0<q>", "input->a0.h0<k>", "a0.h0->a1.h0<k>", "input->a1.h0<v>",
                        "a1.h0->a2.h0<q>", "a1.h0->a2.h1<q>", "input->a2.h0<k>", "input->a2.h1<k>",
                        "input->a2.h0<v>", "input->a2.h1<v>", "a2.h0->logits", "a2.h1->logits"),
                PlantedIoi::task, vocab);
    }

    /** IOI prompts over the three templates, ABBA and BABA, with ABC corruptions. */
    static Task task(long seed, int examples) {
        Random rng = new Random(seed);
        List<Integer> pool = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            pool.add(i);
        }
        List<Example> out = new ArrayList<>();
        for (int e = 0; e < examples; e++) {
            String[] template = TEMPLATES[e % TEMPLATES.length];
            Collections.shuffle(pool, rng);
            int io = nameId(pool.get(0));
            int s = nameId(pool.get(1));
            boolean abba = rng.nextBoolean();
            int[] clean = fill(template, abba ? io : s, abba ? s : io, s);
            int[] corrupt = fill(template, nameId(pool.get(2)), nameId(pool.get(3)), nameId(pool.get(4)));
            out.add(new Example(clean, corrupt, List.of(new Target(-1, io, s))));
        }
        return new Task("planted-ioi", out);
    }

    private static int[] fill(String[] template, int n1, int n2, int s) {
        int[] ids = new int[template.length + 1];
        for (int i = 0; i < template.length; i++) {
            ids[i + 1] = switch (template[i]) {
                case "N1" -> n1;
                case "N2" -> n2;
                case "S" -> s;
                default -> wordId(template[i]);
            };
        }
        return ids;
    }
}
