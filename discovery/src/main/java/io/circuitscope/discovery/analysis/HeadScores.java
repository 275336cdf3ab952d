package io.circuitscope.discovery.analysis;

import ai.djl.ndarray.NDManager;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Task;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Attention-pattern head scores on the clean prompts, each the mean over query positions that have a qualifying
 * key of the attention mass on those keys:
 * <ul>
 * <li>previous-token: key q - 1 (every q >= 1);</li>
 * <li>duplicate-token: earlier keys k < q holding the same token as q;</li>
 * <li>induction: keys k < q whose previous token equals the token at q (the token after an earlier occurrence).</li>
 * </ul>
 * On repeated random tokens (the induction task) these are the usual TransformerLens-style scores.
 */
public final class HeadScores {
    public enum Kind {
        PREVIOUS_TOKEN, DUPLICATE_TOKEN, INDUCTION;

        public static Kind byName(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "previous-token", "prev-token", "previous" -> PREVIOUS_TOKEN;
                case "duplicate-token", "duplicate" -> DUPLICATE_TOKEN;
                case "induction" -> INDUCTION;
                default -> throw new IllegalArgumentException("unknown head score '" + name
                        + "' (known: previous-token, duplicate-token, induction, translation)");
            };
        }
    }

    private HeadScores() {
    }

    /** Scores [layer][head] on the task's clean prompts. */
    public static double[][] compute(HookedTransformer model, Task task, Kind kind) {
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        double[][] sum = new double[layers][heads];
        long[] count = new long[1];
        Set<HookName> names = new HashSet<>();
        for (int l = 0; l < layers; l++) {
            names.add(HookName.of(HookSite.PATTERN, l));
        }
        double[][] weightSum = new double[layers][heads];
        for (Batch batch : task.batches(32)) {
            try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.of(run, names)) {
                model.forward(run, batch.clean(), Hooks.caching(cache));
                for (int l = 0; l < layers; l++) {
                    float[] pattern = DirectLogitAttribution.floats(cache.get(HookSite.PATTERN, l));
                    Score s = score(kind, pattern, batch.size(), heads, batch.length(), batch.clean());
                    for (int h = 0; h < heads; h++) {
                        sum[l][h] += s.total()[h];
                        weightSum[l][h] += s.queries();
                    }
                }
            }
        }
        count[0]++;
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                sum[l][h] = weightSum[l][h] == 0 ? 0 : sum[l][h] / weightSum[l][h];
            }
        }
        return sum;
    }

    /** Sum over qualifying queries of the attention mass on qualifying keys, per head, and the number of queries. */
    public record Score(double[] total, int queries) {
        public double mean(int head) {
            return queries == 0 ? 0 : total[head] / queries;
        }
    }

    /**
     * The score of one layer's patterns, {@code pattern} [B, H, S, S] flattened (query-major within a head).
     */
    public static Score score(Kind kind, float[] pattern, int batch, int heads, int seq, int[][] tokens) {
        double[] total = new double[heads];
        int queries = 0;
        for (int b = 0; b < batch; b++) {
            for (int q = 0; q < seq; q++) {
                boolean[] keys = new boolean[seq];
                boolean any = false;
                for (int k = 0; k < q; k++) {
                    keys[k] = switch (kind) {
                        case PREVIOUS_TOKEN -> k == q - 1;
                        case DUPLICATE_TOKEN -> tokens[b][k] == tokens[b][q];
                        case INDUCTION -> k >= 1 && tokens[b][k - 1] == tokens[b][q];
                    };
                    any |= keys[k];
                }
                if (!any) {
                    continue;
                }
                queries++;
                for (int h = 0; h < heads; h++) {
                    int off = ((b * heads + h) * seq + q) * seq;
                    for (int k = 0; k < q; k++) {
                        if (keys[k]) {
                            total[h] += pattern[off + k];
                        }
                    }
                }
            }
        }
        return new Score(total, queries);
    }
}
