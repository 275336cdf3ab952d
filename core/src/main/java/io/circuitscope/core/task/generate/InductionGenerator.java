package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Induction on repeated random tokens (no tokenizer needed): clean = [BOS?] r1..rn r1..rn, corrupted = the first
 * half resampled ([BOS?] s1..sn r1..rn, every s_i != r_i), so the second half no longer repeats anything.
 * Targets at every second-half position that has a successor (predict r_{i+1} after r_i; wrong = s_{i+1}, what
 * induction predicts on the corrupted prompt), or only the last one. Tokens within a half are distinct when the
 * vocabulary allows. Ids are drawn from [firstId, vocab).
 */
public final class InductionGenerator implements TaskGenerator {
    private final int halfLength;
    private final int bos;
    private final int firstId;
    private final boolean allPositions;

    /**
     * Defaults: 10 tokens per half, ids from 1, targets at every second-half position, and the model's BOS token
     * first when its tokenizer has one (never drawn among the random tokens).
     */
    public InductionGenerator() {
        this(10, -1, 1, true);
    }

    /** @param bos the BOS id to prepend, or -1 for the tokenizer's (none without a tokenizer or its BOS) */
    public InductionGenerator(int halfLength, int bos, int firstId, boolean allPositions) {
        if (halfLength < 2) {
            throw new IllegalArgumentException("induction needs at least 2 tokens per half");
        }
        this.halfLength = halfLength;
        this.bos = bos;
        this.firstId = firstId;
        this.allPositions = allPositions;
    }

    @Override
    public String name() {
        return "induction";
    }

    @Override
    public Generated generate(TextTokenizer tokenizer, int vocabSize, int n, long seed) {
        int bos = this.bos >= 0 ? this.bos : tokenizer != null ? tokenizer.bos().orElse(-1) : -1;
        boolean skipBos = bos >= firstId && bos < vocabSize; // the BOS id is not one of the repeated tokens
        int range = vocabSize - firstId - (skipBos ? 1 : 0);
        if (range < 2) {
            throw new IllegalArgumentException("vocabulary of " + vocabSize + " is too small for induction prompts");
        }
        Random rng = new Random(seed);
        int off = bos >= 0 ? 1 : 0;
        int len = off + 2 * halfLength;
        List<Example> out = new ArrayList<>();
        for (int e = 0; e < n; e++) {
            int[] r = draw(rng, range, halfLength, null);
            int[] s = draw(rng, range, halfLength, r);
            int[] clean = new int[len];
            int[] corrupt = new int[len];
            if (off == 1) {
                clean[0] = bos;
                corrupt[0] = bos;
            }
            for (int i = 0; i < halfLength; i++) {
                r[i] = tokenId(r[i], bos, skipBos);
                s[i] = tokenId(s[i], bos, skipBos);
            }
            for (int i = 0; i < halfLength; i++) {
                clean[off + i] = r[i];
                clean[off + halfLength + i] = r[i];
                corrupt[off + i] = s[i];
                corrupt[off + halfLength + i] = r[i];
            }
            List<Target> targets = new ArrayList<>();
            for (int i = allPositions ? 0 : halfLength - 2; i < halfLength - 1; i++) {
                targets.add(new Target(off + halfLength + i, r[i + 1], s[i + 1]));
            }
            out.add(new Example(clean, corrupt, targets));
        }
        return new Generated(new Task("induction", out), java.util.Map.of());
    }

    /** The token id of a drawn value: from firstId on, stepping over the BOS id when it lies in that range. */
    private int tokenId(int value, int bos, boolean skipBos) {
        int id = firstId + value;
        return skipBos && id >= bos ? id + 1 : id;
    }

    /** {@code count} values in [0, range), distinct when possible, and != avoid[i] at each i. */
    private static int[] draw(Random rng, int range, int count, int[] avoid) {
        int[] out = new int[count];
        boolean distinct = range >= count + (avoid == null ? 0 : 1);
        for (int i = 0; i < count; i++) {
            int v;
            boolean bad;
            do {
                v = rng.nextInt(range);
                bad = avoid != null && avoid[i] == v;
                for (int j = 0; distinct && j < i && !bad; j++) {
                    bad = out[j] == v;
                }
            } while (bad);
            out[i] = v;
        }
        return out;
    }
}
