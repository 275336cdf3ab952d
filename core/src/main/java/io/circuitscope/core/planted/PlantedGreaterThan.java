package io.circuitscope.core.planted;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Planted greater-than: a 2-layer, 4-head, normalisation-free GPT-2 with ReLU MLPs (d_model 64, d_head 16,
 * d_mlp 64) in which an attention head moves the start year to the last position and an MLP compares it
 * with every candidate year, as heads 5.5-9.1 and MLPs 8-11 do in GPT-2 small (Hanna et al.).
 *
 * <p><b>Vocabulary</b> (29 ids): 0 {@code <bos>}, 1-8 {@code The war lasted from the year 17 to}, 9-28 the
 * two-digit years {@code 00}..{@code 19}. Prompt: {@code <bos> The war lasted from the year 17 YY to the year 17}
 * (13 tokens); the next token should be a year greater than YY. YY is drawn from 02..17.
 *
 * <p><b>Residual stream</b>: TOK [0,29) one-hot; ISYEAR 29; CONST 30; NUM 31 (the year's value 0-19 on a
 * year token); YEAR 32 (start year moved to the last position by a0.h0); GT [33,53) (unit k is 1 when year k
 * is greater than the start year, written by m0, logit 10 per unit); JUNK [53,64) written only by distractors
 * (and by the learned positions, which are random in JUNK).
 *
 * <p><b>Circuit</b>: a0.h0 (query CONST meets key ISYEAR, +30) attends to YY and copies NUM into YEAR; m0
 * units 2k and 2k+1 compute ReLU(k - YEAR) - ReLU(k - YEAR - 1) = [k &gt; YEAR] for integers, written into GT
 * unit k; the unembedding maps GT unit k to year k's logit. m0's other 24 units are random, reading everything
 * and writing only into JUNK. Distractors: a0.h1-3, a1.h0-3 (random, W_O into JUNK), m1 (random, into JUNK).
 *
 * <p><b>Task</b>: corruption = the "01-dataset": YY replaced by 01. Each example has one target at the last
 * position: correct = a random year in (YY, 19], wrong = a random year in [02, YY]. Clean logit difference =
 * 10, corrupted = 0 (both years exceed 01).
 *
 * <p><b>Ground-truth edges</b> (3): {@code input->a0.h0<v>} (the start year's value), {@code a0.h0->m0} (YEAR
 * into the comparison), {@code m0->logits} (the only writer of GT). Structural but invariant under the
 * corruption: {@code input->a0.h0<q>} (CONST) and {@code input->a0.h0<k>} (ISYEAR: 01 is still a year). Under mean
 * ablation the circuit is the same 3 edges: those two carry the same value in every prompt, so their mean is their
 * value.
 */
public final class PlantedGreaterThan {
    static final List<String> WORDS = List.of("The", "war", "lasted", "from", "the", "year", "17", "to");
    static final int YEARS = 20;
    static final int FIRST_YEAR = 1 + WORDS.size();
    static final int VOCAB = FIRST_YEAR + YEARS;
    static final int CONTEXT = 16;
    static final int TOK = 0;
    static final int ISYEAR = 29;
    static final int CONST = 30;
    static final int NUM = 31;
    static final int YEAR = 32;
    static final int GT = 33;
    static final int JUNK = 53;
    static final int D = 64;
    static final double SCORE = 30;
    static final float LOGIT = 10f;
    static final int CORRUPT_YEAR = 1;

    private PlantedGreaterThan() {
    }

    static int word(String w) {
        return 1 + WORDS.indexOf(w);
    }

    public static PlantedModel create() {
        PlantedWeights w = new PlantedWeights(D, 2, 4, 64, VOCAB, CONTEXT, "relu");
        for (int t = 0; t < VOCAB; t++) {
            w.embed(t, TOK + t, 1f);
            w.embed(t, CONST, 1f);
        }
        for (int y = 0; y < YEARS; y++) {
            w.embed(FIRST_YEAR + y, ISYEAR, 1f);
            w.embed(FIRST_YEAR + y, NUM, y);
        }
        Random rng = new Random(0x6742);
        for (int p = 0; p < CONTEXT; p++) {
            for (int j = JUNK; j < D; j++) {
                w.position(p, j, (float) (rng.nextGaussian() * 0.5));
            }
        }
        w.score(0, 0, CONST, ISYEAR, 0, SCORE);
        w.copy(0, 0, NUM, 0, YEAR, 1f);
        for (int k = 0; k < YEARS; k++) {
            w.mlpIn(0, YEAR, 2 * k, -1f);
            w.mlpBias(0, 2 * k, k);
            w.mlpIn(0, YEAR, 2 * k + 1, -1f);
            w.mlpBias(0, 2 * k + 1, k - 1);
            w.mlpOut(0, 2 * k, GT + k, 1f);
            w.mlpOut(0, 2 * k + 1, GT + k, -1f);
            w.unembed(GT + k, FIRST_YEAR + k, LOGIT);
        }
        double std = w.headNorm(0, 0) / Math.sqrt(3.0 * D * 16 + 16 * (D - JUNK));
        for (int l = 0; l < 2; l++) {
            for (int h = l == 0 ? 1 : 0; h < 4; h++) {
                w.randomHead(l, h, rng, std, JUNK, D);
            }
        }
        w.randomMlpUnits(0, 2 * YEARS, 64, rng, 0.3, JUNK, D);
        w.randomMlpUnits(1, 0, 64, rng, 0.3, JUNK, D);
        List<String> vocab = new ArrayList<>();
        vocab.add("<bos>");
        vocab.addAll(WORDS);
        for (int y = 0; y < YEARS; y++) {
            vocab.add(String.format(Locale.ROOT, "%02d", y));
        }
        return new PlantedModel("greater-than",
                "year-mover head + comparison MLP: predict a year greater than the start year", w,
                Metrics.LOGIT_DIFF,
                Set.of("input", "a0.h0", "m0", "logits"),
                Set.of("input->a0.h0<v>", "a0.h0->m0", "m0->logits"),
                Set.of("input->a0.h0<q>", "input->a0.h0<k>", "input->a0.h0<v>", "a0.h0->m0", "m0->logits"),
                Set.of("input->a0.h0<v>", "a0.h0->m0", "m0->logits"),
                PlantedGreaterThan::task, vocab);
    }

    /** {@code <bos> The war lasted from the year 17 YY to the year 17}; corrupted YY = 01. */
    static Task task(long seed, int examples) {
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int e = 0; e < examples; e++) {
            int yy = 2 + rng.nextInt(YEARS - 4); // 02..17
            int[] clean = prompt(yy);
            int[] corrupt = prompt(CORRUPT_YEAR);
            int correct = yy + 1 + rng.nextInt(YEARS - 1 - yy);
            int wrong = 2 + rng.nextInt(yy - 1);
            out.add(new Example(clean, corrupt,
                    List.of(new Target(-1, FIRST_YEAR + correct, FIRST_YEAR + wrong))));
        }
        return new Task("planted-greater-than", out);
    }

    static int[] prompt(int yy) {
        return new int[] {0, word("The"), word("war"), word("lasted"), word("from"), word("the"), word("year"),
            word("17"), FIRST_YEAR + yy, word("to"), word("the"), word("year"), word("17")};
    }
}
