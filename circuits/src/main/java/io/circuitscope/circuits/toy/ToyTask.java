package io.circuitscope.circuits.toy;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A synthetic task a toy model is trained on, with its model size and training defaults.
 *
 * <ul>
 *   <li>{@code induction}: 36 tokens {@code [BOS ...]} of distinct random tokens (vocabulary 128) in
 *       which a segment r1..rn (n = 8..16) starts at a random position and is repeated at a random
 *       later position; the loss is on the second copy (predicting r2..rn from r1..r(n-1)), which
 *       only previous-token + induction heads can do, as the offset varies and bigrams carry no
 *       information. Attention-only, 2 layers x 4 heads, d_model 64, learned positions; AdamW lr
 *       3e-3 with warm-up, 4500 steps of 32 prompts. Corrupted prompt: the first copy replaced by
 *       other distinct tokens s, so the repeat is gone. Targets (the same positions the loss is
 *       on): each position of the second copy holding r(k), k = 1..n-1 (n - 1 = 7..15 per prompt), correct answer
 *       r(k+1), wrong answer s(k+1), the token at that place in the corrupted prompt's first copy.</li>
 *   <li>{@code ioi}: IOI-like prompts ({@link IoiPrompts}: "When A and B went to the PLACE , B gave
 *       a OBJ to" -> A over 30 names, ABBA and BABA, with five filler tokens spread at random so the
 *       names move); the loss is on the last position. 3 layers x 4 heads with MLPs, d_model 64,
 *       tied embeddings (GPT-2's); AdamW lr 3e-3, weight decay 0.1, 1500 steps of 64 prompts.
 *       Corrupted prompt: the three name slots filled with three other distinct names (the ABC
 *       dataset). Target: the indirect object; wrong answer: the subject.</li>
 * </ul>
 */
public enum ToyTask {
    INDUCTION(64, 2, 4, 256, 128, 36, 32, 4500, 3e-3, 0.01),
    IOI(64, 3, 4, 256, IoiPrompts.VOCAB, 32, 64, 1500, 3e-3, 0.1);

    /** Length of an induction prompt (BOS included). */
    public static final int INDUCTION_LENGTH = 36;
    /** Shortest repeated segment of an induction prompt. */
    public static final int INDUCTION_MIN_REPEAT = 8;
    /** Longest repeated segment. */
    public static final int INDUCTION_MAX_REPEAT = 16;
    public static final int BOS = 0;

    private final int dModel;
    private final int layers;
    private final int heads;
    private final int dMlp;
    private final int vocab;
    private final int context;
    private final int batchSize;
    private final int defaultSteps;
    private final double learningRate;
    private final double weightDecay;

    ToyTask(int dModel, int layers, int heads, int dMlp, int vocab, int context, int batchSize, int defaultSteps,
            double learningRate, double weightDecay) {
        this.dModel = dModel;
        this.layers = layers;
        this.heads = heads;
        this.dMlp = dMlp;
        this.vocab = vocab;
        this.context = context;
        this.batchSize = batchSize;
        this.defaultSteps = defaultSteps;
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
    }

    public static ToyTask parse(String name) {
        for (ToyTask t : values()) {
            if (t.key().equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown toy task '" + name + "' (known: induction, ioi)");
    }

    /**
     * Whether the MLPs are frozen at zero (an attention-only model stored in GPT-2 layout): for
     * induction, trained MLPs learned a positional guess instead of induction heads.
     */
    public boolean attentionOnly() {
        return this == INDUCTION;
    }

    /**
     * Whether the unembedding is the transposed token embedding (GPT-2's tying): for IOI it makes
     * copying a name from the prompt to the output a head's natural job (name movers).
     */
    public boolean tiedEmbeddings() {
        return this == IOI;
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The fewest transformer blocks a model of this task can solve it with: induction needs a previous-token head
     * and an induction head in a later layer reading its output (two layers); IOI takes any depth (one layer
     * already learns to prefer the name that occurs once, without the full circuit of the 3-layer default).
     */
    public int minLayers() {
        return this == INDUCTION ? 2 : 1;
    }

    /** Why {@link #minLayers()} layers are needed, for a usage error; null when one layer is enough. */
    public String whyMinLayers() {
        return this == INDUCTION ? "induction needs a previous-token head and an induction head in a later layer that "
                + "reads its output" : null;
    }

    public int dModel() { return dModel; }
    public int layers() { return layers; }
    public int heads() { return heads; }
    public int dMlp() { return dMlp; }
    public int vocab() { return vocab; }
    public int context() { return context; }
    public int batchSize() { return batchSize; }
    public int defaultSteps() { return defaultSteps; }
    public double learningRate() { return learningRate; }
    /** AdamW weight decay on the weight matrices. */
    public double weightDecay() { return weightDecay; }

    /** A training batch: tokens [B][S] and the (row, position, next-token label) triples the loss covers. */
    public record TrainBatch(int[][] tokens, int[] rows, int[] positions, int[] labels) {
    }

    /** A batch of clean training prompts with their loss positions. */
    public TrainBatch sample(Random rng, int batch) {
        List<Example> examples = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            examples.add(example(rng));
        }
        return asTrainBatch(examples);
    }

    /** The clean prompts of {@code examples} with their targets as loss positions (all examples one length). */
    public static TrainBatch asTrainBatch(List<Example> examples) {
        int[][] tokens = new int[examples.size()][];
        List<int[]> triples = new ArrayList<>();
        for (int b = 0; b < examples.size(); b++) {
            Example e = examples.get(b);
            tokens[b] = e.clean();
            for (Target t : e.targets()) {
                triples.add(new int[] {b, t.resolvedPosition(e.length()), t.correctId()});
            }
        }
        int n = triples.size();
        int[] rows = new int[n];
        int[] positions = new int[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = triples.get(i)[0];
            positions[i] = triples.get(i)[1];
            labels[i] = triples.get(i)[2];
        }
        return new TrainBatch(tokens, rows, positions, labels);
    }

    /** The evaluation / discovery task: {@code n} clean-corrupted pairs drawn with {@code rng}. */
    public Task task(Random rng, int n) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            examples.add(example(rng));
        }
        return new Task(key(), examples);
    }

    /** One clean/corrupted pair with its targets. */
    public Example example(Random rng) {
        return this == INDUCTION ? induction(rng) : IoiPrompts.example(rng);
    }

    private Example induction(Random rng) {
        // Random tokens with one segment repeated: a random-length segment r at a random start, and
        // its copy at a random later start, every other position a distinct random token. The offset
        // between the copies varies, so only previous-token + induction heads can predict the second
        // copy (no positional shortcut), and with a large vocabulary no bigram statistic helps.
        int length = INDUCTION_LENGTH;
        int n = INDUCTION_MIN_REPEAT + rng.nextInt(INDUCTION_MAX_REPEAT - INDUCTION_MIN_REPEAT + 1);
        int free = length - 1 - 2 * n; // positions outside the two copies
        int gapBefore = rng.nextInt(free + 1);
        int gapBetween = rng.nextInt(free - gapBefore + 1);
        int first = 1 + gapBefore;
        int second = first + n + gapBetween;
        int[] r = distinct(rng, n, 1, vocab, new int[0]);
        int[] s = distinct(rng, n, 1, vocab, r);
        int[] filler = distinct(rng, free, 1, vocab, concat(r, s));
        int[] clean = new int[length];
        int[] corrupt = new int[length];
        int f = 0;
        for (int p = 1; p < length; p++) {
            if (p >= first && p < first + n) {
                clean[p] = r[p - first];
                corrupt[p] = s[p - first];
            } else if (p >= second && p < second + n) {
                clean[p] = r[p - second];
                corrupt[p] = r[p - second];
            } else {
                clean[p] = filler[f];
                corrupt[p] = filler[f];
                f++;
            }
        }
        clean[0] = BOS;
        corrupt[0] = BOS;
        List<Target> targets = new ArrayList<>();
        // position second + i holds r_i (0-based); it should predict r_{i+1}
        for (int i = 0; i < n - 1; i++) {
            targets.add(new Target(second + i, r[i + 1], s[i + 1]));
        }
        return new Example(clean, corrupt, targets);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** {@code count} distinct ids from [lo, hi) avoiding {@code exclude}. */
    private static int[] distinct(Random rng, int count, int lo, int hi, int[] exclude) {
        List<Integer> pool = new ArrayList<>();
        outer:
        for (int id = lo; id < hi; id++) {
            for (int x : exclude) {
                if (x == id) {
                    continue outer;
                }
            }
            pool.add(id);
        }
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = pool.remove(rng.nextInt(pool.size()));
        }
        return out;
    }
}
