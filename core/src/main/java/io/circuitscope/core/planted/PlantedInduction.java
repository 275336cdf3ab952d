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
 * Planted induction: a 2-layer, 4-head, normalisation-free GPT-2 (d_model 128, d_head 32) in which a
 * previous-token head and an induction head (K-composition) predict the second half of a repeated
 * random sequence.
 *
 * <p><b>Residual stream</b> (one-hot features): TOK [0,24) token identity (token 0 = BOS); POS [24,40)
 * position; PREV [40,64) previous token, written by a0.h0; ANS [64,88) predicted token, written by a1.h0
 * and read by the unembedding (logit = 10 per unit); JUNK [88,128) written only by distractors.
 *
 * <p><b>Circuit.</b>
 * <ul>
 * <li>a0.h0, previous-token head: QK reads POS only, score 30 from position p to p-1 (position 0 attends to
 * itself, the BOS); OV copies TOK into PREV.</li>
 * <li>a1.h0, induction head: query reads TOK (current token), key reads PREV (K-composition with a0.h0),
 * score 30 when they agree (BOS never matches); OV copies TOK of the attended position into ANS.</li>
 * </ul>
 * <b>Distractors</b>: a0.h1-3 and a1.h1-3 have random Q/K/V over the whole stream with a Frobenius norm equal
 * to the circuit heads' and W_O writing only into JUNK; m0 and m1 are random GELU MLPs (128 units) reading
 * everything and writing only into JUNK. No circuit head and not the unembedding reads JUNK, so every
 * distractor has exactly zero effect on the logits.
 *
 * <p><b>Task</b>: {@code BOS x1..x6 x1..x6} with 6 distinct random tokens; targets are the second-half
 * positions holding x1..x5, answer the next token x2..x6. Corruption: the first half is resampled (6 new
 * distinct tokens, disjoint from the clean ones); the second half is kept. Metric: logit difference
 * between the clean answer and the answer the corrupted sequence would give (the corrupted first half's
 * token at that offset).
 *
 * <p><b>Ground-truth edges</b> (patching each changes the metric by most of the clean-corrupted gap):
 * <ul>
 * <li>{@code input->a0.h0<v>}: the previous token's identity; the first half differs.</li>
 * <li>{@code a0.h0->a1.h0<k>}: K-composition; the key must carry "my previous token is x_i".</li>
 * <li>{@code input->a1.h0<v>}: the token copied to the output sits in the (resampled) first half.</li>
 * <li>{@code a1.h0->logits}: the only writer of ANS.</li>
 * </ul>
 * Structural but invariant under this corruption (so not in the ground truth): {@code input->a0.h0<q>} and
 * {@code input->a0.h0<k>} read positions only, which the corruption does not change;
 * {@code input->a1.h0<q>} reads the current token, which lies in the unchanged second half.
 *
 * <p><b>Under mean ablation</b> (each source's output averaged over the corrupted prompts) {@code input->a1.h0<q>}
 * matters too (about three quarters of the gap): the mean of the second half's one-hot tokens names no token for the induction
 * head to look for. The position-only edges {@code input->a0.h0<q>} and {@code input->a0.h0<k>} carry the same
 * value in every prompt, so their mean is their value.
 */
public final class PlantedInduction {
    static final int VOCAB = 24;
    static final int HALF = 6;
    static final int CONTEXT = 16;
    static final int TOK = 0;
    static final int POS = 24;
    static final int PREV = 40;
    static final int ANS = 64;
    static final int JUNK = 88;
    static final int D = 128;
    static final double SCORE = 30;
    static final float LOGIT = 10f;

    private PlantedInduction() {
    }

    public static PlantedModel create() {
        PlantedWeights w = new PlantedWeights(D, 2, 4, 128, VOCAB, CONTEXT, "gelu_new");
        for (int t = 0; t < VOCAB; t++) {
            w.embed(t, TOK + t, 1f);
        }
        for (int p = 0; p < CONTEXT; p++) {
            w.position(p, POS + p, 1f);
        }
        // a0.h0: previous-token head. Query at p (column p) meets the key of position p-1.
        for (int p = 1; p < CONTEXT; p++) {
            w.score(0, 0, POS + p, POS + p - 1, p, SCORE);
        }
        for (int t = 0; t < VOCAB; t++) {
            w.copy(0, 0, TOK + t, t, PREV + t, 1f);
        }
        // a1.h0: induction head. Query "I am token t" meets key "my previous token was t" (t != BOS).
        for (int t = 1; t < VOCAB; t++) {
            w.score(1, 0, TOK + t, PREV + t, t, SCORE);
            w.copy(1, 0, TOK + t, t, ANS + t, 1f);
            w.unembed(ANS + t, t, LOGIT);
        }
        Random rng = new Random(0x1D0C7);
        double norm = (w.headNorm(0, 0) + w.headNorm(1, 0)) / 2;
        double std = norm / Math.sqrt(3.0 * D * 32 + 32 * (D - JUNK));
        for (int l = 0; l < 2; l++) {
            for (int h = 1; h < 4; h++) {
                w.randomHead(l, h, rng, std, JUNK, D);
            }
            w.randomMlpUnits(l, 0, 128, rng, 0.2, JUNK, D);
        }
        List<String> vocab = new ArrayList<>();
        vocab.add("<bos>");
        for (int t = 1; t < VOCAB; t++) {
            vocab.add("t" + t);
        }
        return new PlantedModel("induction",
                "2-layer previous-token + induction head (K-composition) on repeated random tokens", w,
                Metrics.LOGIT_DIFF,
                Set.of("input", "a0.h0", "a1.h0", "logits"),
                Set.of("input->a0.h0<v>", "a0.h0->a1.h0<k>", "input->a1.h0<v>", "a1.h0->logits"),
                Set.of("input->a0.h0<q>", "input->a0.h0<k>", "input->a0.h0<v>", "a0.h0->a1.h0<k>",
                        "input->a1.h0<q>", "input->a1.h0<v>", "a1.h0->logits"),
                Set.of("input->a0.h0<v>", "a0.h0->a1.h0<k>", "input->a1.h0<q>", "input->a1.h0<v>", "a1.h0->logits"),
                PlantedInduction::task, vocab);
    }

    /** {@code BOS x1..x6 x1..x6}, first half resampled in the corruption. */
    static Task task(long seed, int examples) {
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        List<Integer> pool = new ArrayList<>();
        for (int t = 1; t < VOCAB; t++) {
            pool.add(t);
        }
        for (int i = 0; i < examples; i++) {
            Collections.shuffle(pool, rng);
            int[] clean = new int[2 * HALF + 1];
            int[] corrupt = new int[2 * HALF + 1];
            for (int k = 0; k < HALF; k++) {
                clean[1 + k] = pool.get(k);
                clean[1 + HALF + k] = pool.get(k);
                corrupt[1 + k] = pool.get(HALF + k);
                corrupt[1 + HALF + k] = pool.get(k);
            }
            List<Target> targets = new ArrayList<>();
            for (int k = 0; k < HALF - 1; k++) {
                // position 1+HALF+k holds x_{k+1}; the next token is x_{k+2} at first-half position 2+k
                targets.add(new Target(1 + HALF + k, clean[2 + k], corrupt[2 + k]));
            }
            out.add(new Example(clean, corrupt, targets));
        }
        return new Task("planted-induction", out);
    }
}
